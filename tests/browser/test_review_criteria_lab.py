"""Real browser: pairs judged by two criteria with the keyboard alone in JupyterLab: a letter
makes a criterion active, 1-4 answer it and move to the next, n moves on; the store gets a row
per criterion, and no key reached the notebook (``r`` makes a raw cell in command mode)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jupyter_pages import put_notebook, run_all_cells, shut_kernels_down

from phota_widgets.store import RunStore

pytestmark = pytest.mark.browser

NAME = "review_criteria.ipynb"
SOURCE = """import phota_widgets as pw
session = pw.Session(output_dir={runs!r}, resume=False)
result = session.sweep("generate", prompts=["a lighthouse"], aspect_ratio=["1:1", "4:3", "16:9"],
                       progress=False)
result.review(judge="lab", seed=0, criteria=["realism", "likeness"])"""
PAIRS = [  # the keys pressed for each pair, and the (realism, likeness) answers they give
    (["l", "2", "1"], ("left", "right")),  # likeness first, then realism (active next)
    (["3", "4"], ("tie", "both_bad")),  # in order
    (["l", "1", "r", "2"], ("right", "left")),  # jump to each
]


def _active(review: Any) -> Any:
    return review.locator(".phota-review-criterion-active")


@pytest.mark.timeout(400)
def test_criteria_judged_with_the_keyboard_alone_in_jupyterlab(
    lab: Any, new_page: Callable[[], Any], tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    put_notebook(lab, NAME, SOURCE.format(runs=str(runs)))
    page = new_page()
    try:
        page.goto(f"{lab.base}/lab/tree/{NAME}?reset&token={lab.token}", timeout=120_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
        panel = run_all_cells(page)
        review = panel.locator(".phota-review-panel")
        review.locator("img.phota-review-image").nth(1).wait_for(timeout=60_000)
        keys = review.locator(".phota-review-keys")
        keys.click()  # click to focus; from here on, keys only
        status = keys.locator(".phota-review-keys-status")
        status.filter(has_text="letters: choose the criterion").wait_for(timeout=10_000)
        chips = keys.locator(".phota-review-criterion")
        assert chips.all_inner_texts() == ["r realism", "l likeness"]
        progress = review.locator(".phota-review-progress")
        timings = []
        for number, (pressed, _) in enumerate(PAIRS, start=1):
            _active(review).filter(has_text="realism").wait_for(timeout=30_000)
            for key in pressed[:-1]:
                page.keyboard.press(key)
                if key == "l":
                    _active(review).filter(has_text="likeness").wait_for(timeout=30_000)
            if number == 1:  # answered: the chip says so, and realism is active again
                keys.locator('[data-criterion="likeness"][data-answer="right"]').wait_for(
                    timeout=30_000
                )
                _active(review).filter(has_text="realism").wait_for(timeout=30_000)
                assert "0 judged" in progress.inner_text()  # not all answered: nothing yet
            page.keyboard.press(pressed[-1])
            progress.filter(has_text=f"{number} judged").wait_for(timeout=30_000)
            review.get_by_text("settings revealed").wait_for(timeout=30_000)
            shown = keys.get_attribute("data-shown")
            page.keyboard.press("n")
            if number < len(PAIRS):
                progress.filter(has_text=f"Pair {number + 1} of 3").wait_for(timeout=30_000)
                page.wait_for_function(
                    "([el, old]) => el.dataset.shown && el.dataset.shown !== old"
                    " && el.dataset.keyToPairMs",
                    arg=[keys.element_handle(), shown],
                    timeout=30_000,
                )
                timings.append(float(keys.get_attribute("data-key-to-pair-ms") or "nan"))
        review.get_by_text("Review done").wait_for(timeout=30_000)
        print(f"key to next pair on screen (ms): {timings}")
        assert panel.locator(".jp-CodeCell").count() == 1  # no key reached the notebook:
        assert panel.locator(".jp-RawCell, .jp-MarkdownCell").count() == 0  # r, 1-4 did nothing
        assert review.evaluate("el => el.contains(document.activeElement)")  # focus kept
    finally:
        shut_kernels_down(lab)
    with RunStore(runs) as store:
        ids = [f"{r.run_id}:{o.index}" for r in store.runs() for o in r.outputs]
        found = store.judgements(ids, every_criterion=True)
    assert len(found) == 6
    by_pair: dict[frozenset[str], dict[str | None, Any]] = {}
    for j in found:
        by_pair.setdefault(frozenset((j.output_a, j.output_b)), {})[j.criterion] = j
    assert len(by_pair) == 3
    for judged, (_, answers) in zip(by_pair.values(), PAIRS, strict=True):
        for criterion, answer in zip(("realism", "likeness"), answers, strict=True):
            j = judged[criterion]
            if answer in ("left", "right"):
                left_won = j.winner == j.shown_left
                assert left_won == (answer == "left"), (criterion, answer, j)
            else:
                assert j.winner == answer
