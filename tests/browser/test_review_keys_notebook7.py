"""Real browser: the review panel's keys in Notebook 7. Run All shows a sweep's review panel, which
takes the keyboard by itself; five pairs are judged and two skipped with keys alone (``0 0`` is
Notebook's "restart kernel" in command mode, ``1``-``4`` its headings), the store gets the five
verdicts on the pairs shown, the focus stays on the panel and the notebook is left as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from jupyter_pages import (
    kernel_ids,
    put_notebook,
    run_all_cells,
    shut_kernels_down,
    wait_for_idle_kernel,
)
from review_steps import WAIT, assert_judged, focus_in_review, judge_by_keys

pytestmark = pytest.mark.browser

NAME = "review_keys_nb7.ipynb"
JUDGE = "nb7"
RUNS = "review-keys-runs"
SOURCE = f"""import phota_widgets as pw
session = pw.Session(output_dir="{RUNS}", resume=False)
result = session.sweep("generate", prompts=["a lighthouse", "a windmill", "a barn"],
                       aspect_ratio=["1:1", "4:3", "16:9"], progress=False)
result.review(judge="{JUDGE}", seed=0)"""
PAIRS = 9  # three prompts, three variants each: three pairs a prompt
VERDICT_KEYS = ["1", "2", "3", "4", "1"]  # left, right, tie, both bad, left
CELL_TEXT = "[...el.querySelectorAll('.cm-line')].map(line => line.textContent).join('\\n')"


@pytest.mark.timeout(400)
def test_review_keys_in_notebook7_judge_and_leave_the_notebook_alone(
    notebook7: Any, new_page: Callable[[], Any]
) -> None:
    put_notebook(notebook7, NAME, SOURCE)
    page = new_page()
    try:
        page.goto(f"{notebook7.base}/notebooks/{NAME}?token={notebook7.token}", timeout=120_000)
        wait_for_idle_kernel(page, notebook7)
        kernels = kernel_ids(notebook7)
        panel = run_all_cells(page)
        review = panel.locator(".phota-review-panel")
        review.locator("img.phota-review-image").nth(1).wait_for(timeout=60_000)
        page.wait_for_function(
            "() => !!document.activeElement?.closest('.phota-review-panel')", timeout=WAIT
        )  # no click: the panel has the keyboard once shown
        status = review.locator(".phota-review-keys-status")
        status.filter(has_text="1 left").filter(has_text="n next").wait_for(timeout=WAIT)
        progress = review.locator(".phota-review-progress")
        progress.filter(has_text=f"Pair 1 of {PAIRS}").wait_for(timeout=WAIT)

        shown = judge_by_keys(page, review, VERDICT_KEYS, PAIRS)
        for _ in range(2):  # two skips: "0 0" restarts the kernel if it reaches the notebook
            page.keyboard.press("0")
        progress.filter(has_text=f"Pair 8 of {PAIRS}").wait_for(timeout=WAIT)
        progress.filter(has_text="5 judged · 2 skipped").wait_for(timeout=WAIT)

        assert focus_in_review(page)  # the keyboard never left the panel
        assert kernel_ids(notebook7) == kernels  # the same kernel, never restarted
        assert panel.locator(".jp-Cell").count() == 1  # no cell added, cut or pasted
        assert panel.locator(".jp-MarkdownCell").count() == 0  # no key made a heading
        code = panel.locator(".jp-CodeCell .jp-InputArea-editor")
        assert code.evaluate(f"el => {CELL_TEXT}") == SOURCE  # not a character typed in
        assert panel.locator(".jp-CodeCell .jp-InputPrompt").inner_text().strip() == "[1]:"
        assert page.locator(".jp-Dialog").count() == 0  # no "restart the kernel?" question
        assert_judged(notebook7.root / RUNS, JUDGE, VERDICT_KEYS, shown)
    finally:
        shut_kernels_down(notebook7)
