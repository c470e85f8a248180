"""Real browser: JupyterLab's "Run All" over the Studio and quickstart notebooks finishes, with no
cell left at ``[*]`` and no error (the layer that catches event-loop nesting bugs).

Marked ``browser``; skipped (with the reason) when Chromium, Playwright or JupyterLab is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
ALL_RAN = """
panel => {
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
  return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}
"""


def _shut_kernels_down(lab: Any) -> None:
    sessions = httpx.get(f"{lab.base}/api/sessions?token={lab.token}", timeout=30).json()
    for session in sessions:
        httpx.delete(f"{lab.base}/api/sessions/{session['id']}?token={lab.token}", timeout=30)


@pytest.mark.parametrize("name", ["00_studio.ipynb", "01_quickstart.ipynb"])
def test_run_all_in_jupyterlab_finishes_every_cell(
    lab: Any, new_page: Callable[[], Any], name: str
) -> None:
    page = new_page()
    try:
        page.goto(f"{lab.base}/lab/tree/{name}?reset&token={lab.token}", timeout=120_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        panel = page.locator(PANEL)
        page.wait_for_function(ALL_RAN, arg=panel.element_handle(), timeout=180_000)
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
        _shut_kernels_down(lab)
