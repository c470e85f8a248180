"""Parts of the review panel: its buttons, the question shown, the images sent, the pairs left."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

import ipywidgets as w

from phota_widgets.experiments.review.change_maps import change_picture, changed_fraction_of
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


def stored_verdicts(
    result: SweepResult, pair: ReviewPair, judge: str, criteria: Sequence[str]
) -> dict[str, str]:
    """What ``judge`` has recorded for the pair by each of ``criteria`` (the latest answer
    each, a criterion matched regardless of case), as verdicts on the sides shown (``left``,
    ``right``, ``tie``, ``both_bad``)."""
    ids = (pair.a.output_id, pair.b.output_id)
    found = result.session.store.judgements(ids, judge=judge, every_criterion=True)
    named = {name.casefold(): name for name in criteria}
    left = pair.shown[0].output_id
    verdicts = {}
    for j in found:  # oldest first: the latest wins
        name = named.get((j.criterion or "").casefold()) if j.criterion else None
        if name is not None:
            won = {"a": j.output_a, "b": j.output_b}.get(j.winner)
            verdicts[name] = j.winner if won is None else "left" if won == left else "right"
    return verdicts


def show_change(result: SweepResult, output_id: str, image: w.Image, note: w.HTML) -> None:
    """Show an output's change map and how much changed (hidden when it has none)."""
    change = change_picture(result, output_id)
    if change is None:
        image.layout.display = "none"
        note.value = ""
        return
    image.value = change
    image.layout.display = None
    fraction = changed_fraction_of(result, output_id)
    note.value = f"<small>change map · {fraction:.0%} of pixels changed</small>"


def reveal_html(variant: str, verdict: str, prompt: str | None, output_id: str) -> str:
    """One side once judged: its variant, how it fared, the prompt and the output id."""
    return (
        f'<div style="padding:4px"><b>{escape(variant)}</b> {escape(verdict)}'
        f"<br/><small>{escape(prompt or '')} · <code>{escape(output_id)}</code></small></div>"
    )


def recorded_notice(names: Sequence[str], judge: str, then: str) -> str:
    """The notice for criteria this judge had recorded for the pair elsewhere."""
    said = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    verb = "was" if len(names) == 1 else "were"
    return (
        f"<small>{escape(said)} {verb} already recorded for this pair by "
        f"<code>{escape(judge)}</code> (in another panel or session): {escape(then)}</small>"
    )


def title_html(
    result: SweepResult, pair: ReviewPair, *, hidden: bool, criteria: Sequence[str] = ()
) -> str:
    """The question (naming the criteria asked), and whether the settings are still hidden
    or now shown below."""
    info = result.output(pair.shown[0].output_id).cell.info
    prompt = info.prompt or info.template or ""
    source = f" · input <code>{escape(info.input)}</code>" if info.input else ""
    state = (
        "settings hidden until you judge"
        if hidden
        else "settings revealed below each image · Next for the next pair"
    )
    return (
        f'<div>{question(criteria, prompt)}{source}</div><small style="color:#777">{state}</small>'
    )


def question(criteria: Sequence[str], prompt: str) -> str:
    """What the panel asks (HTML): better for the prompt, or for each criterion asked."""
    if not criteria:
        return f"Which is better for <b>{escape(prompt)}</b>?"
    return f"Which is better for <b>{escape(', '.join(criteria))}</b>? · {escape(prompt)}"


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
