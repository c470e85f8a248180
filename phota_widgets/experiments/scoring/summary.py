"""A scored sweep read back: per-output columns, failures, pass rates per variant.

Columns: ``check.<name>`` (the verdict, for scorers that give one), ``score.<name>`` (the
value, for scorers that give one) and ``passed`` (every verdict of the output is a pass; None
when no check gave one). Pass rates per variant come with Wilson 95% score intervals:
with p = k/n and z = 1.96, ``(p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from phota_widgets.experiments.scoring import engine

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.result import SweepResult
    from phota_widgets.store.scores import ScoreRecord

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Failure:
    """One failed check of one output, with the reason."""

    output_id: str
    check: str
    detail: str
    value: float | None
    variant: str
    prompt: str | None

    def __str__(self) -> str:
        value = "" if self.value is None else f" ({self.value:.4g})"
        return f"{self.output_id} [{self.variant}] {self.check}{value}: {self.detail or 'failed'}"


@dataclass(frozen=True)
class VariantRate:
    """A variant's pass rate (outputs whose checks all passed) and mean scores."""

    variant: str
    outputs: int
    passed: int
    low: float
    high: float
    means: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Share of its scored outputs that passed (nan without any)."""
        return self.passed / self.outputs if self.outputs else float("nan")


def wilson(passed: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``passed`` out of ``total`` (nan, nan without any)."""
    if total <= 0:
        return float("nan"), float("nan")
    p = passed / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def scores_by_output(result: SweepResult) -> dict[str, dict[str, ScoreRecord]]:
    """Each output's scores by scorer name: the result's checks if it has them (exact keys),
    else the newest stored score of each name."""
    store = result.session.store
    checks = getattr(result, "checks", None)
    if checks:
        found = engine.lookup(store, engine.scored_outputs(store, result.cells), checks)
    else:
        found = engine.latest(store, [o.output_id for o in result.outputs()])
    by_output: dict[str, dict[str, ScoreRecord]] = defaultdict(dict)
    for (output_id, name), record in found.items():
        by_output[output_id][name] = record
    return by_output


def score_table(result: SweepResult) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The score columns (in order) and each output's values in them."""
    by_output = scores_by_output(result)
    checks = getattr(result, "checks", None)
    names = (
        [s.name for s in checks] if checks else sorted({n for s in by_output.values() for n in s})
    )
    has_verdict = {n for s in by_output.values() for n, r in s.items() if r.passed is not None}
    has_value = {n for s in by_output.values() for n, r in s.items() if r.value is not None}
    columns = [f"check.{n}" for n in names if n in has_verdict]
    columns += [f"score.{n}" for n in names if n in has_value]
    if not names:
        return [], {}
    columns.append("passed")
    rows: dict[str, dict[str, Any]] = {}
    for output in result.outputs():
        scores = by_output.get(output.output_id, {})
        row: dict[str, Any] = {}
        for name in names:
            record = scores.get(name)
            if name in has_verdict:
                row[f"check.{name}"] = None if record is None else record.passed
            if name in has_value:
                row[f"score.{name}"] = None if record is None else record.value
        row["passed"] = overall(scores.values())
        rows[output.output_id] = row
    return columns, rows


def overall(records: Any) -> bool | None:
    """All verdicts passed (None without any verdict)."""
    verdicts = [r.passed for r in records if r.passed is not None]
    return all(verdicts) if verdicts else None


def add_score_columns(result: SweepResult, rows: list[dict[str, Any]]) -> list[str]:
    """Add the score columns to table rows (keyed by ``output_id``); returns their names."""
    columns, values = score_table(result)
    for row in rows:
        found = values.get(row.get("output_id") or "", {})
        for column in columns:
            row[column] = found.get(column)
    return columns


def failures(result: SweepResult) -> list[Failure]:
    """Every failed check, output by output in plan order."""
    by_output = scores_by_output(result)
    found: list[Failure] = []
    for output in result.outputs():
        for name, record in by_output.get(output.output_id, {}).items():
            if record.passed is False:
                info = output.cell.info
                found.append(
                    Failure(
                        output.output_id,
                        name,
                        record.detail,
                        record.value,
                        info.variant,
                        info.prompt,
                    )
                )
    return found


def variant_rates(result: SweepResult) -> list[VariantRate]:
    """Per variant (plan order): outputs with a verdict, how many passed, Wilson 95%, means."""
    by_output = scores_by_output(result)
    counts: dict[str, list[int]] = {v: [0, 0] for v in result.variants}
    values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for output in result.outputs():
        variant = output.cell.info.variant
        scores = by_output.get(output.output_id, {})
        verdict = overall(scores.values())
        if verdict is not None:
            counts[variant][0] += 1
            counts[variant][1] += int(verdict)
        for name, record in scores.items():
            if record.value is not None:
                values[variant][name].append(record.value)
    rates = []
    for variant, (total, ok) in counts.items():
        low, high = wilson(ok, total)
        means = {n: sum(v) / len(v) for n, v in sorted(values[variant].items())}
        rates.append(VariantRate(variant, total, ok, low, high, means))
    return rates


def pass_rate(result: SweepResult) -> float | None:
    """Share of scored outputs whose checks all passed (None when nothing was checked)."""
    verdicts = [overall(s.values()) for s in scores_by_output(result).values()]
    known = [v for v in verdicts if v is not None]
    return sum(known) / len(known) if known else None


def summary_text(result: SweepResult) -> str:
    """A plain-text table: per variant, outputs checked, passed, pass rate and its interval."""
    rates = variant_rates(result)
    width = max([len("variant"), *(len(r.variant) for r in rates)])
    lines = [f"{'variant':<{width}}  checked  passed  pass rate  95% interval"]
    for r in rates:
        rate = "-" if not r.outputs else f"{r.rate:9.0%}"
        interval = "" if not r.outputs else f"{r.low:.0%}-{r.high:.0%}"
        lines.append(f"{r.variant:<{width}}  {r.outputs:7d}  {r.passed:6d}  {rate:>9}  {interval}")
    return "\n".join(lines)


def leaderboard_columns(
    result: SweepResult, items: list[str], item_of: dict[str, str]
) -> dict[str, list[float]]:
    """``pass_rate`` and ``mean_<score>`` per leaderboard item (empty when nothing is scored).

    Args:
        result: the sweep.
        items: the leaderboard's rows (variants, or values of a setting), in order.
        item_of: each output id's item.
    """
    by_output = scores_by_output(result)
    if not by_output:
        return {}
    checked: dict[str, list[bool]] = defaultdict(list)
    values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for output_id, scores in by_output.items():
        item = item_of.get(output_id)
        if item is None:
            continue
        verdict = overall(scores.values())
        if verdict is not None:
            checked[item].append(verdict)
        for name, record in scores.items():
            if record.value is not None:
                values[item][name].append(record.value)
    nan = float("nan")
    columns: dict[str, list[float]] = {
        "pass_rate": [sum(checked[i]) / len(checked[i]) if checked[i] else nan for i in items]
    }
    for name in sorted({n for per in values.values() for n in per}):
        columns[f"mean_{name}"] = [
            sum(values[i][name]) / len(values[i][name]) if values[i][name] else nan for i in items
        ]
    return columns
