"""Two sweeps side by side as static HTML: A's and B's outputs of each cell, with the deltas.

Inline styles and inlined JPEG thumbnails only (no scripts, no network), like the sweep report.
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

from phota_widgets.api.thumbnails import data_uri

if TYPE_CHECKING:
    from phota_widgets.experiments.compare.comparison import SweepComparison
    from phota_widgets.experiments.sweeps.cells import SweepOutput
    from phota_widgets.experiments.sweeps.result import SweepResult

_CELL = "border:1px solid #ddd;padding:6px;vertical-align:top"
_GOOD, _BAD = "#1b7f3a", "#b00020"
# metrics where a rise is bad (cost, latency); for the rest (rates, scores) a rise is good
_LOWER_IS_BETTER = ("cost", "latency")


def _by_key(result: SweepResult) -> dict[tuple[str, str, str], list[SweepOutput]]:
    found: dict[tuple[str, str, str], list[SweepOutput]] = {}
    for out in result.outputs():
        info = out.cell.info
        key = (info.prompt or "", info.input or "", info.variant)
        found.setdefault(key, []).append(out)
    return found


def _thumbs(result: SweepResult, outputs: list[SweepOutput], max_px: int) -> str:
    pictures = []
    for out in outputs:
        uri = data_uri(result.session.store.thumbnail(out.record, max_px))
        value = out.output_id
        pictures.append(
            f'<img src="{uri}" alt="{escape(value)}" title="{escape(value)}" '
            f'style="max-width:{max_px}px;max-height:{max_px}px;margin:2px"/>'
        )
    return "".join(pictures) or '<span style="color:#777">no outputs</span>'


def _delta(metric: str, value: float) -> str:
    if math.isnan(value):
        return "–"
    if metric.startswith(("pass_rate", "win_rate")):
        text = f"{value:+.0%}"
    elif metric == "cost":
        text = f"{value:+.4f}"
    else:
        text = f"{value:+.2f}"
    worse = value > 0 if metric in _LOWER_IS_BETTER else value < 0
    colour = "#555" if value == 0 else _BAD if worse else _GOOD
    return f'<span style="color:{colour}">{escape(text)}</span>'


def comparison_html(comparison: SweepComparison, max_px: int, limit: int | None) -> str:
    """The view's HTML (class ``phota-sweep-compare``)."""
    a, b = comparison.a, comparison.b
    outputs_a, outputs_b = _by_key(a), _by_key(b)
    metrics = [c[: -len("_delta")] for c in comparison.deltas.columns if c.endswith("_delta")]
    rows = []
    shown = comparison.deltas if limit is None else comparison.deltas.head(limit)
    for row in shown.to_dict("records"):
        key = (str(row["prompt"]), str(row["input"]), str(row["variant"]))
        label = escape(key[0] or "(no prompt)") + f"<br/><small>{escape(key[2])}</small>"
        if key[1]:
            label += f'<br/><small style="color:#555">input {escape(key[1])}</small>'
        deltas = "<br/>".join(
            f"{escape(m)}: {_delta(m, float(row[f'{m}_delta']))}" for m in metrics
        )
        rows.append(
            f'<tr><th style="{_CELL};text-align:left;max-width:220px">{label}</th>'
            f'<td style="{_CELL}">{_thumbs(a, outputs_a.get(key, []), max_px)}</td>'
            f'<td style="{_CELL}">{_thumbs(b, outputs_b.get(key, []), max_px)}</td>'
            f'<td style="{_CELL};font-size:11px">{deltas}</td></tr>'
        )
    more = ""
    if limit is not None and len(comparison.deltas) > limit:
        more = f"<p>{len(comparison.deltas) - limit} more cells: export_html() writes them all</p>"
    apart = ""
    for side, frame in (("A", comparison.only_in_a), ("B", comparison.only_in_b)):
        if len(frame):
            items = "".join(
                f"<li>{escape(str(r['prompt']) or '(no prompt)')} · {escape(str(r['variant']))}"
                + (f" · input {escape(str(r['input']))}" if r["input"] else "")
                + "</li>"
                for r in frame.to_dict("records")
            )
            apart += f"<h4>Only in {side} ({len(frame)} cells)</h4><ul>{items}</ul>"
    summary = "".join(f"<div>{escape(line)}</div>" for line in comparison.summary().splitlines())
    return (
        '<div class="phota-sweep-compare">'
        f'<h3 style="margin:8px 0 4px">A: {escape(a.name or a.sweep_id)} · '
        f"B: {escape(b.name or b.sweep_id)}</h3>{summary}"
        '<table style="border-collapse:collapse;font-size:12px;margin:6px 0">'
        f'<thead><tr><th style="{_CELL}">cell</th><th style="{_CELL}">A</th>'
        f'<th style="{_CELL}">B</th><th style="{_CELL}">B - A</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{more}{apart}</div>"
    )
