"""The review panel with criteria: a row of buttons per criterion, clicked the way a user does,
and the keyboard (a letter per criterion, 1-4 answer the active one); a row per criterion in the
store once every criterion has an answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from review_wire import Wire
from small_sweeps import three_ratios

from phota_widgets.experiments import SweepResult
from phota_widgets.widgets.review import ReviewPanel

CRITERIA = ["realism", "likeness"]


def _sweep(session: Any) -> SweepResult:
    return three_ratios(session)


def _stored(result: SweepResult) -> list[Any]:
    ids = [o.output_id for o in result.outputs()]
    return result.session.store.judgements(ids, every_criterion=True)


def _styles(panel: ReviewPanel, criterion: str) -> dict[str, str]:
    assert panel.board is not None
    return {v: b.button_style for v, b in panel.board.buttons[criterion].items()}


def test_a_row_of_buttons_per_criterion_records_the_pair_once_all_are_answered(
    session: Any, settle: Callable[..., None], writers: Callable[..., Any]
) -> None:
    result = _sweep(session)
    panel = result.review(judge="ana", seed=2, criteria=CRITERIA)
    board = panel.board
    assert board is not None and len(panel.pairs) == 3
    assert board.rows in panel.children
    shown = {id(w) for box in panel.children for w in getattr(box, "children", ())}
    assert id(panel.left_button) not in shown  # the overall verdicts give way to the rows
    assert id(panel.skip_button) in shown and id(panel.next_button) in shown
    seen = writers(panel)
    pair = panel.pair
    assert pair is not None

    board.buttons["realism"]["left"].click()
    settle()
    assert _stored(result) == [] and _styles(panel, "realism")["left"] == "info"
    assert board.active == 1 and "▶" in board.labels["likeness"].value
    board.buttons["realism"]["right"].click()  # a change of mind before the last answer
    settle()
    assert board.answers == {"realism": "right"} and _styles(panel, "realism")["left"] != "info"
    assert _stored(result) == [] and panel.next_button.disabled

    board.buttons["likeness"]["tie"].click()
    settle()
    rows = _stored(result)
    assert [(j.criterion, j.winner) for j in rows] == [
        ("realism", pair.winner_of("right")),
        ("likeness", "tie"),
    ]
    assert {(j.output_a, j.output_b, j.shown_left, j.judge) for j in rows} == {
        (pair.a.output_id, pair.b.output_id, pair.left, "ana")
    }
    right = pair.shown[1]
    assert right.variant in panel.reveals[1].value and "realism ✔" in panel.reveals[1].value
    assert "realism ✘" in panel.reveals[0].value and "likeness tie" in panel.reveals[0].value
    assert not panel.next_button.disabled
    assert all(b.disabled for row in board.buttons.values() for b in row.values())
    board.buttons["likeness"]["left"].click()  # judged: ignored until Next
    settle()
    assert len(_stored(result)) == 2

    panel.next_button.click()
    settle()
    assert "Pair 2 of 3" in panel.progress.value and board.answers == {}
    assert board.active == 0 and not board.buttons["realism"]["left"].disabled
    panel.skip_button.click()
    settle()
    assert panel.skipped == 1 and "Pair 3 of 3" in panel.progress.value
    board.buttons["likeness"]["both_bad"].click()  # any order
    board.buttons["realism"]["tie"].click()
    settle()
    assert [j.winner for j in _stored(result)[2:]] == ["tie", "both_bad"]  # criteria in order
    panel.next_button.click()
    settle()
    assert panel.pair is None and "2 judged, 1 skipped" in panel.title.value
    assert "realism: " in panel.title.value and "likeness: " in panel.title.value  # bias each
    seen.single()

    again = ReviewPanel(result, judge="ana", seed=2, criteria=CRITERIA)
    assert len(again.pairs) == 1  # the skipped pair
    assert len(ReviewPanel(result, judge="ana", seed=2, criteria=["realism", "light"]).pairs) == 3
    assert len(ReviewPanel(result, judge="ana", seed=2).pairs) == 3  # no overall judgement yet


def test_the_keyboard_answers_the_active_criterion_and_letters_jump(
    session: Any, settle: Callable[..., None]
) -> None:
    result = _sweep(session)
    panel = ReviewPanel(result, judge="bo", seed=4, criteria=CRITERIA)
    view = panel.pair_view
    assert view.key_map["r"] == "criterion:0" and view.key_map["l"] == "criterion:1"
    assert view.key_map["1"] == "left" and view.key_map["n"] == "next"
    assert [c["name"] for c in view.criteria] == CRITERIA and view.active == 0
    wire = Wire(view)
    pair = panel.pair
    assert pair is not None

    wire.press("L")  # likeness first
    settle()
    assert view.active == 1
    wire.press("2")  # likeness: right; realism (unanswered) becomes active
    settle()
    assert [c["answer"] for c in view.criteria] == ["", "right"] and view.active == 0
    assert _stored(result) == [] and wire.count("settled") == 2
    wire.press("n")  # not answered yet: n does nothing
    wire.press("1")  # realism: left, the last one: recorded
    settle()
    assert [(j.criterion, j.winner) for j in _stored(result)] == [
        ("realism", pair.winner_of("left")),
        ("likeness", pair.winner_of("right")),
    ]
    assert view.answered and view.active == -1
    wire.press("r")  # judged: letters no longer change anything
    wire.press("3")
    settle()
    assert len(_stored(result)) == 2
    wire.press("n")
    settle()
    assert "Pair 2 of 3" in panel.progress.value and view.active == 0
    assert [c["answer"] for c in view.criteria] == ["", ""] and not view.answered
    for key in ("3", "4"):  # realism tie, then likeness (the next one) both bad
        wire.press(key)
    settle()
    assert [(j.criterion, j.winner) for j in _stored(result)[2:]] == [
        ("realism", "tie"),
        ("likeness", "both_bad"),
    ]
    view.key_map = {**view.key_map, "x": "drop_everything"}  # a browser rewriting the keys
    wire.press("x")
    settle()
    assert view.pressed[-1] != "drop_everything"  # the kernel maps keys with its own table


def test_a_pair_judged_in_another_panel_is_not_recorded_twice(
    session: Any, settle: Callable[..., None]
) -> None:
    result = _sweep(session)
    first = ReviewPanel(result, judge="ana", seed=7, criteria=CRITERIA)
    second = ReviewPanel(result, judge="ana", seed=7, criteria=CRITERIA)
    for panel in (first, second):
        assert panel.board is not None
        panel.board.buttons["realism"]["left"].click()
        panel.board.buttons["likeness"]["right"].click()
        settle()
    assert len(_stored(result)) == 2
    assert second.already_judged == 1 and "Pair 2 of 3" in second.progress.value
    said = "realism and likeness were already recorded for this pair by <code>ana</code>"
    assert said in second.notice.value


def test_a_panel_reopened_with_a_new_criterion_asks_only_that_one(
    session: Any, settle: Callable[..., None]
) -> None:
    result = _sweep(session)
    first = ReviewPanel(result, judge="ana", seed=1, criteria=["realism"])
    pair = first.pair
    assert pair is not None
    first.act("left").result(10)
    panel = ReviewPanel(result, judge="ana", seed=1, criteria=["realism", "light"])
    board = panel.board
    assert board is not None and panel.pair == pair  # offered again, for light
    assert "Which is better for <b>realism, light</b>?" in panel.title.value
    assert board.answers == {"realism": "left"} and board.recorded == {"realism"}
    assert board.active == 1 and all(b.disabled for b in board.buttons["realism"].values())
    assert "realism was already recorded for this pair by <code>ana</code>" in panel.notice.value
    assert panel.pair_view.criteria[0]["recorded"] == "yes"
    wire = Wire(panel.pair_view)
    wire.press("r")  # a recorded criterion cannot be made active
    settle()
    assert board.active == 1
    board.buttons["realism"]["right"].click()  # nor answered again
    settle()
    assert board.answers["realism"] == "left" and _stored(result)[-1].criterion == "realism"
    wire.press("3")  # light: tie, the only one asked: recorded
    settle()
    stored = [(j.criterion, j.winner) for j in _stored(result)]
    assert stored == [("realism", pair.winner_of("left")), ("light", "tie")]
    assert "realism ✔" in panel.reveals[0].value and "light tie" in panel.reveals[1].value


def test_criteria_recorded_meanwhile_elsewhere_are_shown_as_stored(
    session: Any, settle: Callable[..., None]
) -> None:
    result = _sweep(session)
    panel = ReviewPanel(result, judge="ana", seed=1, criteria=CRITERIA)
    pair = panel.pair
    assert pair is not None and panel.board is not None
    a, b = pair.a.output_id, pair.b.output_id
    result.judge(a, b, "a", "ana", criterion="Realism")  # another process, another case
    panel.act("right", "realism").result(10)  # the panel still thinks realism is open
    panel.act("tie", "likeness").result(10)
    stored = [(j.criterion, j.winner) for j in _stored(result)]
    assert stored == [("Realism", "a"), ("likeness", "tie")]  # realism kept as it was
    notice = panel.notice.value
    assert "realism was already recorded for this pair by <code>ana</code>" in notice
    assert "another panel by realism" not in notice
    left_is_a = pair.left == "a"
    assert ("realism ✔" in panel.reveals[0].value) == left_is_a  # the stored answer revealed
    assert ("realism ✔" in panel.reveals[1].value) != left_is_a
    assert panel.judged == 1 and panel.board.answers["realism"] == (
        "left" if left_is_a else "right"
    )

    other = ReviewPanel(result, judge="ana", seed=1, criteria=CRITERIA)
    assert pair not in other.pairs  # done by every criterion
    result.judge(a, b, "b", "ana", criterion="light")
    whole = ReviewPanel(result, judge="ana", seed=1, criteria=["light", "realism"])
    assert whole.pair != pair


def test_bad_criteria_are_refused_before_the_panel_opens(session: Any) -> None:
    result = _sweep(session)
    with pytest.raises(ValueError, match="given twice"):
        ReviewPanel(result, judge="ana", criteria=["realism", "REALISM"])
    panel = ReviewPanel(result, judge="ana", criteria=CRITERIA)
    with pytest.raises(ValueError, match="not a criterion of this review"):
        panel.act("left", "composition")
    with pytest.raises(ValueError, match="unknown review action"):
        ReviewPanel(result, judge="ana").act("criterion:0")  # no criteria: no such action
    assert _stored(result) == []


def test_the_experiments_tab_reviews_by_the_criteria_typed(
    session: Any, settle: Callable[..., None]
) -> None:
    from phota_widgets.widgets.sweep import SweepPanel

    panel = SweepPanel(session)
    panel.form.prompts.value = "a red house"
    panel.form.selects["aspect_ratio"].value = ("1:1", "16:9")
    settle()
    panel.run_button.click()
    result = panel.wait(timeout=60)
    assert result is not None, panel.error.value
    box = panel.actions.criteria_box
    box.value = "realism, Realism"
    panel.review_button.click()
    settle()
    assert panel.review is None and "given twice" in panel.error.value  # said, nothing opened
    box.value = " realism ,, likeness "
    panel.review_button.click()
    settle()
    review = panel.review
    assert review is not None and review.criteria == CRITERIA and review.board is not None
    assert "given twice" not in panel.error.value
    review.board.buttons["realism"]["left"].click()
    review.board.buttons["likeness"]["right"].click()
    settle()
    assert [j.criterion for j in _stored(result)] == CRITERIA
    panel.leaderboard_button.click()
    settle()
    assert 'data-criterion="realism"' in panel.details.value
    assert 'data-criterion="likeness"' in panel.details.value
    box.value = ""
    panel.review_button.click()  # no criteria: the overall review, as before
    settle()
    assert panel.review is not None and panel.review.board is None
