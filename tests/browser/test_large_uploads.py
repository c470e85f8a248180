"""Real browser: phone-sized photos arrive through the Studio's upload buttons, in Voila
(``phota-widgets studio``) and in JupyterLab: a 48 MP / ~12 MB photo into Enhance (run on it) and
ten ~5 MB photos into Profiles (a profile trained from them). Before the anywidget upload, files
past ~10 MB were dropped by the websocket and nothing was said.

Marked ``browser``; skipped (with the reason) when Chromium or Playwright is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jupyter_pages import run_all_cells, shut_kernels_down
from studio_steps import RUN, noisy_photo, stored_input_sizes, upload_and_enhance, wait_text

pytestmark = pytest.mark.browser

LOAD = 120_000  # ms: a page starts a kernel, which starts the Studio


@dataclass(frozen=True)
class Photos:
    big: Path  # 8000 x 6000, about 12 MB
    phone: list[Path]  # ten 4000 x 3000, about 5 MB each
    corrupt: Path  # 9 MB that only look like a JPEG


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Photos:
    folder = tmp_path_factory.mktemp("phone-photos")
    big = noisy_photo(folder / "IMG_4800.jpg", 8000, 6000, 9.0, seed=1)
    phone = [noisy_photo(folder / f"IMG_{i:04d}.jpg", 4000, 3000, 22.0, seed=10 + i)
             for i in range(10)]  # fmt: skip
    assert 10e6 < big.stat().st_size < 16e6, big.stat().st_size
    assert all(4e6 < p.stat().st_size < 7e6 for p in phone), [p.stat().st_size for p in phone]
    corrupt = folder / "IMG_BROKEN.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0" + np.random.default_rng(3).bytes(9_000_000))
    return Photos(big, phone, corrupt)


def _refusals_are_said(scope: Any, photos: Photos) -> None:
    """A file the browser cannot read, and more files than the picker takes, are named."""
    scope.get_by_role("tab", name="Enhance").click()
    enhance = scope.locator(".phota-enhance-panel")
    upload = enhance.locator(".phota-upload input[type=file]")
    upload.set_input_files(str(photos.corrupt))
    message = enhance.locator(".phota-picker-message")
    wait_text(message, re.compile(r"IMG_BROKEN\.jpg: the browser cannot read this image"))
    scope.get_by_role("tab", name="Edit").click()
    edit = scope.locator(".phota-edit-panel")
    eleven = [*photos.phone, photos.corrupt]  # Edit takes ten photos
    edit.locator(".phota-upload input[type=file]").set_input_files([str(p) for p in eleven])
    wait_text(
        edit.locator(".phota-picker-message"),
        re.compile(r"IMG_BROKEN\.jpg: only 10 image\(s\) can be taken here"),
    )
    edit.locator(".phota-input-thumbs img").nth(9).wait_for(timeout=RUN)  # the ten arrived
    assert "IMG_BROKEN.jpg: only 10" in edit.locator(".phota-picker-message").inner_text()


def _upload_ten_photos_and_train(page: Any, scope: Any, photos: Photos) -> None:
    scope.get_by_role("tab", name="Profiles").click()
    profiles = scope.locator(".phota-profiles")
    files = [str(p) for p in photos.phone]
    profiles.locator(".phota-profile-upload input[type=file]").set_input_files(files)
    button = profiles.locator(".phota-profile-upload button")
    button.filter(has_text="Photos (10)").wait_for(timeout=RUN)
    profiles.locator("button.phota-profile-create").click()
    wait_text(profiles, re.compile(r"1 profile\(s\)"))  # trained from the ten photos
    assert profiles.locator(".phota-error").inner_text().strip() == ""
    button.filter(has_text=re.compile(r"^Photos$")).wait_for(timeout=30_000)  # sent: cleared


def test_phone_photos_arrive_in_the_voila_studio(
    studio_app: Any, new_page: Callable[[], Any], photos: Photos
) -> None:
    page = new_page()
    page.goto(studio_app.url, timeout=LOAD)
    studio = page.locator(".phota-studio")
    studio.locator(".phota-generate-panel .phota-prompt textarea").wait_for(timeout=LOAD)
    _refusals_are_said(page, photos)
    upload_and_enhance(page, photos.big)
    # what reached the kernel (and Phota) is the photo downscaled in the browser: 4096 px wide
    sizes = stored_input_sizes(studio_app.folder / "phota-runs")
    assert (4096, 3072) in sizes, sizes
    _upload_ten_photos_and_train(page, page, photos)


@pytest.fixture
def lab_studio(lab: Any) -> Iterator[Any]:
    yield lab
    shut_kernels_down(lab)


def test_phone_photos_arrive_in_jupyterlab(
    lab_studio: Any, new_page: Callable[[], Any], photos: Photos
) -> None:
    lab = lab_studio
    page = new_page()
    page.goto(f"{lab.base}/lab/tree/00_studio.ipynb?reset&token={lab.token}", timeout=LOAD)
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=LOAD)
    panel = run_all_cells(page, LOAD)
    panel.locator(".phota-studio .phota-generate-panel").wait_for(timeout=LOAD)
    upload_and_enhance(panel, photos.big)
    _upload_ten_photos_and_train(page, panel, photos)
