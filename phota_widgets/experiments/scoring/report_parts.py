"""The scores in HTML: a badge per output (passed / failed, with the reasons on hover) and a
per-variant table of pass rates (Wilson 95% intervals) and mean scores."""

from __future__ import annotations

import math
import weakref
from html import escape
from typing import TYPE_CHECKING

from phota_widgets.experiments.scoring.summary import overall, scores_by_output, variant_rates

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.result import SweepResult
    from phota_widgets.store.scores import ScoreRecord

_CELL = "border:1px solid #ddd;padding:4px 8px;text-align:right"
_BY_RESULT: weakref.WeakKeyDictionary[SweepResult, tuple[int, dict[str, dict[str, ScoreRecord]]]]
_BY_RESULT = weakref.WeakKeyDictionary()


def _scores(result: SweepResult) -> dict[str, dict[str, ScoreRecord]]:
    """Scores by output, read once per state of the result (its cells and checks)."""
    stamp = hash((id(result.cells), id(result.checks)))
    cached = _BY_RESULT.get(result)
    if cached is None or cached[0] != stamp:
        cached = (stamp, scores_by_output(result))
        _BY_RESULT[result] = cached
    return cached[1]


def badge_html(result: SweepResult, output_id: str) -> str:
    """``✓ passed`` or ``✗ failed: <checks>`` for one output ('' when it has no verdict)."""
    scores = _scores(result).get(output_id, {})
    verdict = overall(scores.values())
    if verdict is None:
        return ""
    lines = [
        f"{name}: {'pass' if r.passed else 'FAIL'}"
        + ("" if r.value is None else f" ({r.value:.4g})")
        + (f" — {r.detail}" if r.detail else "")
        for name, r in sorted(scores.items())
        if r.passed is not None
    ]
    failed = [name for name, r in sorted(scores.items()) if r.passed is False]
    text = "✓ passed" if verdict else "✗ failed: " + ", ".join(failed)
    colour = "#137333" if verdict else "#b00020"
    state = "passed" if verdict else "failed"
    return (
        f'<div class="phota-score-badge phota-score-{state}" title="{escape(chr(10).join(lines))}"'
        f' style="font-size:11px;color:{colour};font-weight:600">{escape(text)}</div>'
    )


def rates_html(result: SweepResult) -> str:
    """The per-variant table of pass rates and mean scores ('' when nothing was scored)."""
    rates = variant_rates(result)
    if not any(r.outputs or r.means for r in rates):
        return ""
    names = sorted({n for r in rates for n in r.means})
    head = "".join(
        f'<th style="{_CELL}">{escape(h)}</th>'
        for h in ["variant", "checked", "passed", "pass rate", "95% interval"]
        + [f"mean {n}" for n in names]
    )
    rows = []
    for r in rates:
        rate = "–" if not r.outputs else f"{r.rate:.0%}"
        interval = "–" if not r.outputs else f"{r.low:.0%} – {r.high:.0%}"
        means = "".join(f'<td style="{_CELL}">{_number(r.means.get(n))}</td>' for n in names)
        rows.append(
            f'<tr><th style="{_CELL};text-align:left">{escape(r.variant)}</th>'
            f'<td style="{_CELL}">{r.outputs}</td><td style="{_CELL}">{r.passed}</td>'
            f'<td style="{_CELL}">{rate}</td><td style="{_CELL}">{interval}</td>{means}</tr>'
        )
    return (
        '<h2 style="font-size:16px">Checks</h2>'
        '<table class="phota-score-rates" style="border-collapse:collapse;font-size:12px">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _number(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.4g}"


def failed_only(result: SweepResult) -> SweepResult:
    """A view of the sweep with only the outputs that failed a check (cells without any such
    output left out): what the Experiments tab shows with "Failed only" ticked."""
    import copy
    from dataclasses import replace

    scores = _scores(result)
    kept = []
    for cell in result.cells:
        run = cell.run
        if run is None:
            continue
        failing = tuple(
            o
            for o in cell.outputs
            if overall(scores.get(f"{run.run_id}:{o.index}", {}).values()) is False
        )
        if failing:
            kept.append(replace(cell, run=replace(run, outputs=failing)))
    view = copy.copy(result)
    view.cells = kept
    return view
