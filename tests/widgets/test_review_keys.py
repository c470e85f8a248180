"""The keyboard-first review pair (ReviewKeys) driven by the messages its front end sends: keys
judge through the same store path, thumbnails travel ahead as binary messages, never as state."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image
from review_wire import Wire
from small_sweeps import three_ratios

from phota_widgets.experiments import SweepResult
from phota_widgets.widgets.review import ReviewPanel
from phota_widgets.widgets.review_keys import PAIR_PX, ReviewKeys


def _sweep(session: Any) -> SweepResult:
    return three_ratios(session)


def _shown_ids(panel: ReviewPanel) -> list[str]:
    assert panel.pair is not None
    return [item.output_id for item in panel.pair.shown]


def _stored(result: SweepResult) -> list[Any]:
    return result.session.store.judgements(o.output_id for o in result.outputs())


def test_keys_judge_skip_and_move_on_with_the_next_pair_sent_ahead(
    session: Any, settle: Callable[..., None]
) -> None:
    result = _sweep(session)
    panel = ReviewPanel(result, judge="ana", seed=5)
    assert len(panel.pairs) == 3
    wire = Wire(panel.pair_view)
    wire.browser({"type": "ready"})  # the view rendered: it is sent the pair and the next
    first, second = _shown_ids(panel), [i.output_id for i in panel.pairs[1].shown]
    assert panel.pair_view.shown == first and panel.pair_view.upcoming == second
    received = wire.images()
    assert set(received) == set(first) | set(second)
    for data in received.values():  # thumbnails, never the full image
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG" and max(image.size) <= PAIR_PX
    state = panel.pair_view.get_state()
    assert not [k for k, v in state.items() if isinstance(v, bytes | memoryview)]
    state.pop("_esm")  # the front end's source
    assert len(json.dumps(state)) < 2_000  # no picture in the widget state (a saved notebook)

    wire.press("3")  # tie
    settle()
    [tie] = _stored(result)
    assert tie.winner == "tie" and tie.judge == "ana"
    assert panel.pair_view.answered and "settings revealed" in panel.title.value
    wire.press("1")  # a verdict after a verdict: ignored until n
    wire.press("x")  # not a key of the panel
    settle()
    assert len(_stored(result)) == 1 and panel.pair_view.pressed == ["tie", "left"]
    assert wire.count("settled") == 2  # the browser hears the kernel's answer to each key

    before = len(wire.messages)
    wire.press("N")  # next (either case)
    settle()
    assert panel.pair_view.shown == second and not panel.pair_view.answered
    assert "Pair 2 of 3" in panel.progress.value
    third = [i.output_id for i in panel.pairs[2].shown]
    assert panel.pair_view.upcoming == third
    later = [set(c["ids"]) for c, _ in wire.messages[before:] if c["type"] == "images"]
    assert set().union(*later) == set(third) - set(first) - set(second)  # only the new ones

    wire.press("0")  # skip: the next pair at once, nothing recorded
    settle()
    assert panel.skipped == 1 and panel.pair_view.shown == third
    assert panel.pair_view.upcoming == [] and len(_stored(result)) == 1
    wire.press("2")  # right
    settle()
    assert _stored(result)[-1].winner == panel.pairs[2].winner_of("right")
    wire.press("n")
    settle()
    assert panel.pair is None and panel.pair_view.done and panel.pair_view.shown == []
    assert "2 judged, 1 skipped" in panel.title.value


def test_a_pair_judged_meanwhile_in_another_panel_is_not_recorded_twice_by_key(
    session: Any, settle: Callable[..., None]
) -> None:
    result = _sweep(session)
    mine, other = (ReviewPanel(result, judge="ana", seed=1) for _ in range(2))
    wire = Wire(mine.pair_view)
    other.left_button.click()  # the same judge, the same first pair, elsewhere
    settle()
    wire.press("4")
    settle()
    assert len(_stored(result)) == 1 and mine.already_judged == 1
    assert "already judged" in mine.notice.value
    assert mine.pair_view.shown == [i.output_id for i in mine.pairs[1].shown]


def test_a_new_view_is_sent_the_pictures_again_and_bad_shapes_are_refused() -> None:
    view = ReviewKeys()
    wire = Wire(view)
    view.show({"a": b"A", "b": b"B"}, {"b": b"B", "c": b"C"})
    assert wire.images() == {"a": b"A", "b": b"B", "c": b"C"} and view.sent == 3
    view.show({"b": b"B", "c": b"C"}, {})
    assert view.sent == 3  # the browser holds them already
    wire.browser({"type": "ready"})
    assert view.sent == 5 and wire.count("images") == 2
    wire.browser({"type": "unknown"})
    wire.browser({"type": "key"})  # no key: nothing
    assert view.pressed == []
    with pytest.raises(ValueError, match="two images"):
        view.show({"a": b"A"}, {})
