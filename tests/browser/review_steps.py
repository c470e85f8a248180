"""Judging a review panel with the keyboard alone, and checking what the store got: shared by the
JupyterLab and Notebook 7 tests of the ReviewKeys anywidget."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from phota_widgets.store import RunStore

WAIT = 30_000  # ms: the kernel's answer to a key, on a busy machine
WINNERS = {"3": "tie", "4": "both_bad"}
"""What a verdict key other than ``1`` (left) and ``2`` (right) records."""


def focus_in_review(page: Any) -> bool:
    """The element with the keyboard is inside a review panel."""
    return bool(page.evaluate("() => !!document.activeElement?.closest('.phota-review-panel')"))


def judge_by_keys(page: Any, review: Any, keys: Sequence[str], pairs: int) -> list[tuple[str, str]]:
    """Press each verdict key, then ``n``, on ``pairs`` pairs; wait for the kernel after each.

    Returns the (left, right) output ids shown at each verdict; each pair shows once.
    """
    progress = review.locator(".phota-review-progress")
    pair_view = review.locator(".phota-review-keys")
    shown: list[tuple[str, str]] = []
    for number, key in enumerate(keys, start=1):
        left, _, right = (pair_view.get_attribute("data-shown") or "").partition(" ")
        assert left and right and (left, right) not in shown, f"pair {number}: {shown}"
        shown.append((left, right))
        page.keyboard.press(key)
        progress.filter(has_text=f"{number} judged").wait_for(timeout=WAIT)
        page.keyboard.press("n")
        if number < pairs:
            progress.filter(has_text=f"Pair {number + 1} of {pairs}").wait_for(timeout=WAIT)
            page.wait_for_function(
                "([el, old]) => el.dataset.shown && el.dataset.shown !== old",
                arg=[pair_view.element_handle(), f"{left} {right}"],
                timeout=WAIT,
            )
    return shown


def assert_judged(
    store_dir: Path, judge: str, keys: Sequence[str], shown: Sequence[tuple[str, str]]
) -> None:
    """The store holds one judgement per key, in order, of the pair shown, with its verdict."""
    store = RunStore(store_dir)
    ids = [f"{r.run_id}:{o.index}" for r in store.runs() for o in r.outputs]
    judged = store.judgements(ids, judge=judge)
    assert len(judged) == len(keys), judged
    for judgement, key, (left, right) in zip(judged, keys, shown, strict=True):
        assert {judgement.output_a, judgement.output_b} == {left, right}
        sides = {"a": judgement.output_a, "b": judgement.output_b}
        assert sides[judgement.shown_left or ""] == left  # "a" or "b": the one shown left
        expected = {"1": left, "2": right}.get(key) or WINNERS[key]
        assert sides.get(judgement.winner, judgement.winner) == expected, (key, judgement)
