"""ReviewPanel driven through its buttons: blind pairs, random recorded sides, reveal, restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from review_wire import Wire
from small_sweeps import three_ratios

from phota_widgets.experiments import SweepResult
from phota_widgets.widgets.review import ReviewPanel


def _sweep(session: Any) -> SweepResult:
    return three_ratios(session, ["a red house", "a blue boat"])


def _stored(result: SweepResult) -> list[Any]:
    return result.session.store.judgements(o.output_id for o in result.outputs())


def test_judging_through_the_buttons_records_sides_and_reveals_settings(
    session: Any, settle: Callable[..., None], writers: Callable[..., Any]
) -> None:
    result = _sweep(session)
    panel = result.review(judge="ana", seed=3)
    assert isinstance(panel, ReviewPanel)
    assert "phota-review-panel" in panel._dom_classes
    assert len(panel.pairs) == 6  # 2 prompts x 3 pairs of variants
    assert "Pair 1 of 6" in panel.progress.value
    seen = writers(panel)
    pair = panel.pair
    assert pair is not None
    hidden = panel.title.value + "".join(r.value for r in panel.reveals)
    assert "aspect_ratio" not in hidden  # settings hidden until judged
    assert panel.pair_view.shown == [item.output_id for item in pair.shown]
    wire = Wire(panel.pair_view)
    assert panel.next_button.disabled and not panel.left_button.disabled

    panel.left_button.click()
    settle()
    [first] = _stored(result)
    assert (first.output_a, first.output_b) == (pair.a.output_id, pair.b.output_id)
    assert first.shown_left == pair.left and first.winner == pair.left  # the left one won
    assert first.judge == "ana"
    left, right = pair.shown
    assert left.variant in panel.reveals[0].value and "chosen" in panel.reveals[0].value
    assert right.variant in panel.reveals[1].value
    assert panel.left_button.disabled and not panel.next_button.disabled
    panel.right_button.click()  # ignored until Next
    settle()
    assert len(_stored(result)) == 1

    panel.next_button.click()
    settle()
    second = panel.pair
    assert second is not None and second != pair and "Pair 2 of 6" in panel.progress.value
    panel.right_button.click()
    settle()
    assert _stored(result)[-1].winner == second.winner_of("right")
    assert _stored(result)[-1].shown_left == second.left

    panel.next_button.click()
    wire.press("3")  # the keyboard: 3 = tie
    settle()
    assert _stored(result)[-1].winner == "tie"
    wire.press("n")
    panel.skip_button.click()
    settle()
    assert panel.skipped == 1 and len(_stored(result)) == 3
    panel.both_bad_button.click()
    settle()
    assert _stored(result)[-1].winner == "both_bad"
    for _ in range(2):
        panel.next_button.click()
        panel.tie_button.click()
    panel.next_button.click()
    settle()
    assert panel.pair is None and "Review done" in panel.title.value
    assert all(b.disabled for b in (panel.left_button, panel.next_button, panel.skip_button))
    assert "5 judged, 1 skipped" in panel.title.value
    seen.single()

    again = ReviewPanel(result, judge="ana", seed=3)  # a restart: only the skipped pair is left
    assert len(again.pairs) == 1
    assert len(ReviewPanel(result, judge="bo", seed=3).pairs) == 6  # another judge: all of them


def test_sides_are_randomised_over_a_review(session: Any) -> None:
    result = _sweep(session)
    lefts = {p.left for seed in range(4) for p in ReviewPanel(result, seed=seed).pairs}
    assert lefts == {"a", "b"}


def test_edit_outputs_show_a_change_map_beside_them(
    session: Any, data: Path, settle: Callable[..., None]
) -> None:
    result = session.sweep(
        "edit",
        prompts=["make it black and white"],
        images=[[data / "chelsea.jpg"]],
        output_format=["jpg", "png"],
        progress=False,
    )
    panel = result.review(seed=1)
    assert len(panel.pairs) == 1
    for image, note in zip(panel.change_maps, panel.change_notes, strict=True):
        assert image.value and image.layout.display is None
        assert "of pixels changed" in note.value


def test_nothing_to_compare_is_said_plainly(session: Any) -> None:
    result = session.sweep("generate", prompts=["a red house"], progress=False)
    panel = result.review()
    assert panel.pairs == [] and "Nothing to compare" in panel.title.value
    assert panel.left_button.disabled and panel.skip_button.disabled
