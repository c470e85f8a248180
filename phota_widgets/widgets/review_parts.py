"""Parts of the review panel: its buttons, the question shown, the images sent, the pairs left."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

import ipywidgets as w

from phota_widgets.experiments.review.criteria import pairs_done
from phota_widgets.experiments.review.judgements import judgements
from phota_widgets.experiments.review.leaderboard import position_bias_of
from phota_widgets.widgets._common import styled

if TYPE_CHECKING:
    from phota_widgets.experiments.review.pairs import ReviewPair
    from phota_widgets.experiments.sweeps.result import SweepResult
    from phota_widgets.widgets.review import ReviewPanel


def make_button(description: str, key: str, name: str, style: str = "") -> w.Button:
    """A verdict button (its key in the tooltip), with the class ``phota-<name>``."""
    button = w.Button(
        description=description,
        tooltip=f"key {key}",
        button_style=style,
        layout=w.Layout(width="auto"),
    )
    return styled(button, name)


def verdict_winner(pair: ReviewPair, verdict: str) -> str:
    """The stored winner (``a``, ``b``, ``tie``, ``both_bad``) of a verdict on the sides."""
    if verdict in ("left", "right"):
        return pair.winner_of("left" if verdict == "left" else "right")
    return verdict


def thumbnails(result: SweepResult, pair: ReviewPair | None, max_px: int) -> dict[str, bytes]:
    """The pair's images as shown, left first: output id to JPEG thumbnail."""
    if pair is None:
        return {}
    store = result.session.store
    outputs = [result.output(item.output_id) for item in pair.shown]
    return {out.output_id: store.thumbnail(out.record, max_px) for out in outputs}


def title_html(result: SweepResult, pair: ReviewPair, *, hidden: bool) -> str:
    """The question, and whether the settings are still hidden or now shown below."""
    info = result.output(pair.shown[0].output_id).cell.info
    prompt = info.prompt or info.template or ""
    source = f" · input <code>{escape(info.input)}</code>" if info.input else ""
    state = (
        "settings hidden until you judge"
        if hidden
        else "settings revealed below each image · Next for the next pair"
    )
    return (
        f"<div>Which is better for <b>{escape(prompt)}</b>{source}?</div>"
        f'<small style="color:#777">{state}</small>'
    )


def done_pairs(result: SweepResult, judge: str, criteria: Sequence[str]) -> set[frozenset[str]]:
    """Pairs ``judge`` needs no more: judged overall (no criteria), or by every criterion."""
    return pairs_done(judgements(result, judge, every_criterion=bool(criteria)), criteria)


def finished_html(panel: ReviewPanel) -> str:
    """What the panel says when no pair is left: nothing to compare, or the review's counts
    and the position bias (by each criterion, with criteria)."""
    if not panel.pairs:
        return (
            "<b>Nothing to compare.</b> A review needs outputs of at least two variants for "
            "the same prompt and input (or every pair was already judged by "
            f"<code>{escape(panel.judge)}</code>)."
        )
    result = panel.result
    if panel.criteria:
        bias = "; ".join(f"{c}: {position_bias_of(result, None, c)}" for c in panel.criteria)
    else:
        bias = str(position_bias_of(result))
    return (
        f"<b>Review done</b>: {panel.judged} judged, {panel.skipped} skipped here. "
        f"<small>{escape(bias)}</small> The Leaderboard button shows the ranking."
    )
