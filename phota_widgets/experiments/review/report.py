"""The review section of a sweep's HTML report: leaderboard, intervals, judgement counts.

Static HTML with inline styles (no scripts, no network), shared by the report file and the
Experiments tab's Leaderboard button.
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

from phota_widgets.api.thumbnails import data_uri
from phota_widgets.experiments.review.agreement import agreement_html
from phota_widgets.experiments.review.change_maps import change_picture, changed_fraction_of
from phota_widgets.experiments.review.criteria import criteria_judged
from phota_widgets.experiments.review.judgements import judgements
from phota_widgets.experiments.review.leaderboard import judgement_counts
from phota_widgets.experiments.review.needed import needed_line

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.result import SweepResult

_CELL = "border:1px solid #ddd;padding:3px 8px;text-align:right"
_HEAD = "border:1px solid #ddd;padding:3px 8px;background:#f6f6f6"
HOW_TO_READ = (
    "score: Bradley-Terry strength (0 = average; +1 wins about 73% against a variant at 0). "
    "Two variants whose 95% intervals overlap are not yet told apart: judge more pairs."
)


def output_extras(result: SweepResult, output_id: str, max_px: int) -> str:
    """What the grid shows under an output besides its thumbnail: its change map (edit,
    enhance and remix outputs) and its stars and note (when rated)."""
    parts = []
    change = change_picture(result, output_id)
    if change is not None:
        fraction = changed_fraction_of(result, output_id)
        picture = data_uri(change)
        parts.append(
            f'<div class="phota-change-map"><img src="{picture}" alt="change map" '
            f'style="width:100%;max-width:{max(64, max_px // 2)}px;height:auto"/>'
            f'<div style="font-size:10px;color:#555">{fraction:.0%} changed</div></div>'
        )
    rated = result.session.store.ratings([output_id])
    if rated:
        mean = sum(r.stars for r in rated) / len(rated)
        notes = "; ".join(r.note for r in rated if r.note)
        stars = "★" * round(mean) + "☆" * (5 - round(mean))
        parts.append(
            f'<div class="phota-stars" style="font-size:11px" title="{escape(notes)}">'
            f"{stars} {mean:.1f}" + (f" · {escape(notes)}" if notes else "") + "</div>"
        )
    return "".join(parts)


def _number(value: object, digits: int = 2) -> str:
    if isinstance(value, float):
        return "–" if math.isnan(value) else f"{value:.{digits}f}"
    return escape(str(value))


def review_boards_html(result: SweepResult, *, by_axis: bool = True) -> str:
    """The sweep's leaderboards: the overall one (unless it was judged by criteria only), then
    (``by_axis`` and more than one axis) one per swept axis, then one per criterion judged."""
    judged = criteria_judged(result)
    parts = []
    if not judged or judgements(result):
        parts.append(leaderboard_html(result))
        if by_axis and len(result.axes) > 1:
            parts += [leaderboard_html(result, by=axis) for axis in result.axes]
    parts += [leaderboard_html(result, criterion=criterion) for criterion in judged]
    return "\n".join(parts)


def leaderboard_html(
    result: SweepResult, by: str | None = None, criterion: str | None = None
) -> str:
    """The leaderboard as a table (class ``phota-leaderboard``), with counts and position bias;
    overall, or by ``criterion`` (``data-criterion`` names it)."""
    board = result.leaderboard(by=by, criterion=criterion)
    title = "Leaderboard" if by is None else f"Leaderboard by {by}"
    if criterion is not None:
        title += f" · criterion: {criterion}"
    counts = judgement_counts(result, criterion)
    bias = board.attrs.get("position_bias")
    first = board.columns[0]
    head = "".join(f'<th style="{_HEAD}">{escape(str(c))}</th>' for c in board.columns)
    rows = []
    for _, row in board.iterrows():
        cells = [f'<td style="{_CELL};text-align:left">{escape(str(row[first]))}</td>']
        for column in board.columns[1:]:
            value = row[column]
            digits = 4 if column == "cost_per_image" else 2
            cells.append(f'<td style="{_CELL}">{_number(value, digits)}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    summary = (
        f"{counts['total']} judgements by {counts['judges']} judge(s): "
        f"{counts['a'] + counts['b']} with a winner, {counts['tie']} ties, "
        f"{counts['both_bad']} both bad; {counts['rated']} outputs rated"
    )
    mark = "" if criterion is None else f' data-criterion="{escape(criterion)}"'
    return (
        f'<div class="phota-leaderboard"{mark}>'
        f'<h3 style="margin:8px 0 4px">{escape(title)}</h3><div>{escape(summary)}</div>'
        f"<div><small>{escape(str(bias)) if bias is not None else ''}</small></div>"
        f'<div class="phota-needed"><small>{escape(needed_line(board))}</small></div>'
        '<table style="border-collapse:collapse;font-size:12px;margin:6px 0">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<div><small style="color:#555">{escape(HOW_TO_READ)}</small></div>'
        f"{agreement_html(result, criterion)}</div>"
    )
