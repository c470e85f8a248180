"""Real browser: JupyterLab's "Run All" over the Studio and quickstart notebooks finishes, with no
cell left at ``[*]`` and no error (the layer that catches event-loop nesting bugs).

Marked ``browser``; skipped (with the reason) when Chromium, Playwright or JupyterLab is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from jupyter_pages import run_all_cells, shut_kernels_down

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("name", ["00_studio.ipynb", "01_quickstart.ipynb"])
def test_run_all_in_jupyterlab_finishes_every_cell(
    lab: Any, new_page: Callable[[], Any], name: str
) -> None:
    page = new_page()
    try:
        page.goto(f"{lab.base}/lab/tree/{name}?reset&token={lab.token}", timeout=120_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
        panel = run_all_cells(page)
        prompts = panel.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        assert prompts and not [p for p in prompts if "*" in p], prompts
        errors = panel.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
        )
        assert not [t for t in errors.all_inner_texts() if "Error" in t or "Traceback" in t]
        if name == "00_studio.ipynb":
            panel.locator(".phota-studio .phota-generate-panel").wait_for(timeout=60_000)
            assert "Offline" in panel.locator(".phota-offline-notice").inner_text()
    finally:
        shut_kernels_down(lab)
