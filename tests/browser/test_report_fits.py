"""A 48-cell, 96-image sweep report in a real browser at 1400 px: no sideways scrolling, every
column in view, a click enlarges an image (and a second click shrinks it), and the leaderboards
by each swept axis are there."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import phota_widgets as pw
from phota_widgets.local import LocalServer

pytestmark = pytest.mark.browser
KEY = "sk-planted-SECRET-1234567890"
ANIMALS = ["owl", "fox", "cat", "deer", "boat", "house"]


@pytest.mark.timeout(400)
def test_a_48_cell_report_fits_1400_px(
    server: LocalServer, tmp_path: Path, new_page: Callable[..., Any]
) -> None:
    with pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path / "runs") as s:
        result = s.sweep(
            "generate",
            prompts=[f"a {animal} at dusk" for animal in ANIMALS],
            aspect_ratio=["1:1", "16:9"],
            base_model=["nb2", "flux-2"],
            output_format=["jpg", "png"],
            num_output_images=2,
            confirm=True,  # a key that is not the offline server's: 48 cells ask first
            progress=False,
        )
        assert (len(result.cells), result.images, len(result.variants)) == (48, 96, 8)
        report = result.export_html(tmp_path / "report.html")
    page = new_page(1400, 900)
    page.goto(report.as_uri())
    size = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " document.documentElement.scrollHeight]"
    )
    assert size[0] <= size[1] == 1400, size  # no horizontal overflow
    assert size[2] < 2500, size  # was 4,870 px tall with 4 of 8 columns in view
    headers = page.locator(".phota-sweep-grid thead th")
    assert headers.count() == 1 + 8
    last = headers.last.bounding_box()
    assert last is not None and last["x"] + last["width"] <= 1400  # every column in view
    images = page.locator(".phota-sweep-output img")
    assert images.count() == 96
    first = images.first
    small = first.bounding_box()
    assert small is not None and small["width"] < 200
    first.click()
    big = first.bounding_box()
    assert big is not None and big["width"] > 4 * small["width"], (small, big)
    first.click()
    again = first.bounding_box()
    assert again is not None and again["width"] == pytest.approx(small["width"], abs=1)
    titles = page.locator(".phota-leaderboard h3").all_inner_texts()
    assert titles == [
        "Leaderboard",
        "Leaderboard by aspect_ratio",
        "Leaderboard by base_model",
        "Leaderboard by output_format",
    ]
