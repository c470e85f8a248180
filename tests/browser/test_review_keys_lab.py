"""Real browser: the review panel's keys judge pairs in JupyterLab (click the pair, then keys
only), and the notebook is left as it was (``1``-``4`` are heading shortcuts in command mode)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from test_lab_run_all import ALL_RAN, PANEL, _shut_kernels_down

pytestmark = pytest.mark.browser

NAME = "review_keys.ipynb"
SOURCE = """import phota_widgets as pw
session = pw.Session(output_dir="review-keys-runs", resume=False)
result = session.sweep("generate", prompts=["a lighthouse"], aspect_ratio=["1:1", "4:3", "16:9"],
                       progress=False)
result.review(judge="lab", seed=0)"""


def _put_notebook(lab: Any) -> None:
    cell: dict[str, Any] = {"cell_type": "code", "metadata": {}, "outputs": [],
                            "execution_count": None, "source": SOURCE}  # fmt: skip
    kernel = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    content = {"cells": [cell], "metadata": {"kernelspec": kernel}, "nbformat": 4,
               "nbformat_minor": 5}  # fmt: skip
    body = {"type": "notebook", "format": "json", "content": content}
    url = f"{lab.base}/api/contents/{NAME}?token={lab.token}"
    assert httpx.put(url, content=json.dumps(body), timeout=30).status_code in (200, 201)


@pytest.mark.timeout(400)
def test_review_keys_in_jupyterlab_judge_and_leave_the_notebook_alone(
    lab: Any, new_page: Callable[[], Any]
) -> None:
    _put_notebook(lab)
    page = new_page()
    try:
        page.goto(f"{lab.base}/lab/tree/{NAME}?reset&token={lab.token}", timeout=120_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        panel = page.locator(PANEL)
        page.wait_for_function(ALL_RAN, arg=panel.element_handle(), timeout=180_000)
        review = panel.locator(".phota-review-panel")
        review.locator("img.phota-review-image").nth(1).wait_for(timeout=60_000)
        keys = review.locator(".phota-review-keys")
        keys.click()  # click to focus
        keys.locator(".phota-review-keys-status", has_text="1 left").wait_for(timeout=10_000)
        progress = review.locator(".phota-review-progress")
        for number, key in enumerate(["1", "3", "4"], start=1):
            page.keyboard.press(key)
            progress.filter(has_text=f"{number} judged").wait_for(timeout=30_000)
            page.keyboard.press("n")
            if number < 3:
                progress.filter(has_text=f"Pair {number + 1} of 3").wait_for(timeout=30_000)
        review.get_by_text("Review done").wait_for(timeout=30_000)
        assert panel.locator(".jp-CodeCell").count() == 1  # still one code cell:
        assert panel.locator(".jp-MarkdownCell").count() == 0  # no key became a heading
    finally:
        _shut_kernels_down(lab)
