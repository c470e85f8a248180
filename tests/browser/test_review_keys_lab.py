"""Real browser: the review panel's keys judge pairs in JupyterLab (click the pair, then keys
only), the store gets each verdict on the pair shown, and the notebook is left as it was
(``1``-``4`` are heading shortcuts in command mode, ``0 0`` restarts the kernel)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from jupyter_pages import kernel_ids, put_notebook, run_all_cells, shut_kernels_down
from review_steps import assert_judged, judge_by_keys

pytestmark = pytest.mark.browser

NAME = "review_keys.ipynb"
JUDGE = "lab"
RUNS = "review-keys-runs"
SOURCE = f"""import phota_widgets as pw
session = pw.Session(output_dir="{RUNS}", resume=False)
result = session.sweep("generate", prompts=["a lighthouse"],
                       aspect_ratio=["1:1", "4:3", "16:9", "3:4"], progress=False)
result.review(judge="{JUDGE}", seed=0)"""
PAIRS = 6  # four variants of one prompt
VERDICT_KEYS = ["1", "3", "4"]  # left, tie, both bad; then the other three pairs skipped


@pytest.mark.timeout(400)
def test_review_keys_in_jupyterlab_judge_and_leave_the_notebook_alone(
    lab: Any, new_page: Callable[[], Any]
) -> None:
    put_notebook(lab, NAME, SOURCE)
    page = new_page()
    try:
        page.goto(f"{lab.base}/lab/tree/{NAME}?reset&token={lab.token}", timeout=120_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
        panel = run_all_cells(page)
        review = panel.locator(".phota-review-panel")
        review.locator("img.phota-review-image").nth(1).wait_for(timeout=60_000)
        keys = review.locator(".phota-review-keys")
        keys.click()  # click to focus
        keys.locator(".phota-review-keys-status", has_text="1 left").wait_for(timeout=10_000)
        kernels = kernel_ids(lab)
        shown = judge_by_keys(page, review, VERDICT_KEYS, PAIRS)
        for _ in range(PAIRS - len(VERDICT_KEYS)):
            page.keyboard.press("0")
        review.get_by_text("Review done").wait_for(timeout=30_000)
        progress = review.locator(".phota-review-progress")
        progress.filter(has_text="3 judged · 3 skipped").wait_for(timeout=30_000)
        assert kernel_ids(lab) == kernels  # "0 0" restarted no kernel
        assert page.locator(".jp-Dialog").count() == 0  # nor asked to
        assert panel.locator(".jp-CodeCell").count() == 1  # still one code cell:
        assert panel.locator(".jp-MarkdownCell").count() == 0  # no key became a heading
        assert_judged(lab.root / RUNS, JUDGE, VERDICT_KEYS, shown)
    finally:
        shut_kernels_down(lab)
