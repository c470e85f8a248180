"""Real browser: the Studio's own anywidgets work in Notebook 7. Run All on 00_studio.ipynb shows
the Studio; "Copy code" (CopyCode) gives a result's Python and cURL, and a photo over 4096 px
uploaded into Enhance (PhotoUpload) arrives downscaled in the browser and is enhanced."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jupyter_pages import run_all_cells, shut_kernels_down, wait_for_idle_kernel
from studio_steps import (
    RUN,
    generate_and_copy_code,
    noisy_photo,
    stored_input_sizes,
    upload_and_enhance,
)

pytestmark = pytest.mark.browser

STUDIO = Path(__file__).parent.parent.parent / "notebooks" / "00_studio.ipynb"
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


@pytest.mark.timeout(600)
def test_copy_code_and_upload_work_in_notebook7(
    notebook7: Any, new_page: Callable[[], Any], tmp_path: Path
) -> None:
    shutil.copyfile(STUDIO, notebook7.root / STUDIO.name)
    photo = noisy_photo(tmp_path / "IMG_5000.jpg", 5000, 3750, 9.0, seed=2)
    page = new_page()
    try:
        url = f"{notebook7.base}/notebooks/{STUDIO.name}?token={notebook7.token}"
        page.goto(url, timeout=RUN)
        wait_for_idle_kernel(page, notebook7)
        panel = run_all_cells(page)
        panel.locator(".phota-studio .phota-generate-panel").wait_for(timeout=RUN)
        assert "Offline" in panel.locator(".phota-offline-notice").inner_text()
        generate_and_copy_code(panel, "a red boat on a calm lake")
        upload_and_enhance(panel, photo)
        sizes = stored_input_sizes(notebook7.root / "phota-runs")
        assert (4096, 3072) in sizes, sizes  # 5000 x 3750 downscaled in the browser
        errors = panel.locator(STDERR).all_inner_texts()
        assert not [t for t in errors if "Error" in t or "Traceback" in t], errors
    finally:
        shut_kernels_down(notebook7)
