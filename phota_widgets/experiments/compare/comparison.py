"""One sweep against another (prompt v1 vs v2, last week vs today), cell by cell.

Cells are joined by filled prompt, input and variant (repeats of a cell are pooled); cells that
exist in one sweep only are listed apart. For every joined cell the table holds A's value, B's
and the delta (B - A) of: cost per image, latency per call, win rate (where judged, from the
overall judgements within each sweep, criteria apart: ties and "both bad" count half; NaN, with
a note saying why, for a sweep judged by criteria only) and, for every check column of
``to_dataframe()`` (``check.<name>``: passed or not; ``passed``: all checks; ``score.<name>``:
a number), the pass rate or mean score.

A pass rate is worse when it drops by more than a threshold and the 95 % interval of the drop
(Newcombe's, from two Wilson intervals) excludes no drop: what ``phota-widgets compare A B
--fail-if-worse 0.05`` turns into exit status 100.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scipy.stats import binomtest

if TYPE_CHECKING:
    import pandas

    from phota_widgets.display import HTMLView
    from phota_widgets.experiments.sweeps.result import SweepResult

__all__ = ["KEY_COLUMNS", "SweepComparison", "compare_frames", "compare_sweeps"]

KEY_COLUMNS = ("prompt", "input", "variant")
"""What joins two sweeps' cells."""
METRICS = ("cost", "latency", "win_rate")
CHECK_SUMMARY_COLUMNS = (
    "check", "passed_a", "total_a", "rate_a", "passed_b", "total_b", "rate_b", "drop",
    "drop_low", "drop_high",
)  # fmt: skip


def check_columns(frame: pandas.DataFrame) -> tuple[list[str], list[str]]:
    """The pass/fail columns (``passed``, ``check.<name>``) and score columns (``score.*``)."""
    passes = [c for c in frame.columns if c == "passed" or str(c).startswith("check.")]
    scores = [c for c in frame.columns if str(c).startswith("score.")]
    return passes, scores


def win_rates(result: SweepResult) -> dict[str, float]:
    """Output id -> its share of judgements won in this sweep (ties and both bad: half)."""
    ids = [o.output_id for o in result.outputs()]
    won: dict[str, float] = {}
    judged: dict[str, int] = {}
    for j in result.session.store.judgements(ids):
        share_a = 1.0 if j.winner == "a" else 0.0 if j.winner == "b" else 0.5
        for output, share in ((j.output_a, share_a), (j.output_b, 1.0 - share_a)):
            won[output] = won.get(output, 0.0) + share
            judged[output] = judged.get(output, 0) + 1
    return {output: won[output] / judged[output] for output in judged}


def _per_cell(frame: pandas.DataFrame, wins: dict[str, float]) -> pandas.DataFrame:
    """One row per (prompt, input, variant): outputs, cost, latency, win rate, checks."""
    import pandas as pd

    data = frame.copy()
    for key in KEY_COLUMNS:
        data[key] = data[key].astype(object).where(data[key].notna(), "")
    data["win_rate"] = [wins.get(i, math.nan) if isinstance(i, str) else math.nan
                        for i in data["output_id"]]  # fmt: skip
    passes, scores = check_columns(data)
    for column in passes:
        data[column] = data[column].map(_passed)
    for column in [*scores, "cost", "latency"]:
        data[column] = pd.to_numeric(data[column], errors="coerce")
    groups = data.groupby(list(KEY_COLUMNS), sort=False, dropna=False)
    per_call = data.drop_duplicates("cell").groupby(list(KEY_COLUMNS), sort=False)["latency"]
    table = pd.DataFrame(
        {
            "outputs": groups["output_id"].count(),
            "cost": groups["cost"].mean(),
            "latency": per_call.mean(),
            "win_rate": groups["win_rate"].mean(),
        }
    )
    for column in passes:
        table[f"pass_rate.{_name(column)}"] = groups[column].mean()
        table[f"passed.{_name(column)}"] = groups[column].sum()
        table[f"checked.{_name(column)}"] = groups[column].count()
    for column in scores:
        table[f"mean_score.{_name(column)}"] = groups[column].mean()
    return table


def _name(column: str) -> str:
    return column.split(".", 1)[1] if "." in column else column


def _passed(value: object) -> float:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    if isinstance(value, str):
        return 1.0 if value.strip().lower() in ("true", "1", "pass", "passed", "yes") else 0.0
    return 1.0 if bool(value) else 0.0


@dataclass(frozen=True)
class Joined:
    """Two sweeps' per-cell tables joined: the deltas and the cells found in one sweep only."""

    deltas: pandas.DataFrame
    only_in_a: pandas.DataFrame
    only_in_b: pandas.DataFrame
    checks: pandas.DataFrame


def compare_frames(
    frame_a: pandas.DataFrame,
    frame_b: pandas.DataFrame,
    wins_a: dict[str, float] | None = None,
    wins_b: dict[str, float] | None = None,
) -> Joined:
    """Join two ``to_dataframe()`` tables (see the module docs)."""
    import pandas as pd

    cells_a, cells_b = _per_cell(frame_a, wins_a or {}), _per_cell(frame_b, wins_b or {})
    both = cells_a.index.intersection(cells_b.index, sort=False)
    left, right = cells_a.loc[both], cells_b.loc[both]
    metrics = [c for c in cells_a.columns if c in cells_b.columns and c != "outputs"]
    metrics = [c for c in metrics if not c.startswith(("passed.", "checked."))]
    columns: dict[str, pandas.Series] = {
        "outputs_a": left["outputs"],
        "outputs_b": right["outputs"],
    }
    for metric in metrics:
        columns[f"{metric}_a"] = left[metric]
        columns[f"{metric}_b"] = right[metric]
        columns[f"{metric}_delta"] = right[metric] - left[metric]
    deltas = pd.DataFrame(columns, index=both).reset_index()
    only_a = cells_a.loc[cells_a.index.difference(cells_b.index, sort=False), ["outputs"]]
    only_b = cells_b.loc[cells_b.index.difference(cells_a.index, sort=False), ["outputs"]]
    checks = _check_summary(left, right)
    return Joined(deltas, only_a.reset_index(), only_b.reset_index(), checks)


def _check_summary(left: pandas.DataFrame, right: pandas.DataFrame) -> pandas.DataFrame:
    import pandas as pd

    rows = []
    for column in left.columns:
        if not column.startswith("passed.") or f"checked.{_name(column)}" not in right.columns:
            continue
        name = _name(column)
        passed_a, total_a = int(left[column].sum()), int(left[f"checked.{name}"].sum())
        passed_b, total_b = int(right[column].sum()), int(right[f"checked.{name}"].sum())
        rate_a, rate_b = _rate(passed_a, total_a), _rate(passed_b, total_b)
        low, high = drop_interval(passed_a, total_a, passed_b, total_b)
        rows.append(
            (name, passed_a, total_a, rate_a, passed_b, total_b, rate_b, rate_a - rate_b, low,
             high)
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(CHECK_SUMMARY_COLUMNS))


def _rate(passed: int, total: int) -> float:
    return passed / total if total else math.nan


def _wilson(passed: int, total: int) -> tuple[float, float]:
    interval = binomtest(passed, total).proportion_ci(method="wilson")
    return float(interval.low), float(interval.high)


def drop_interval(passed_a: int, total_a: int, passed_b: int, total_b: int) -> tuple[float, float]:
    """Newcombe's 95 % interval of ``rate_a - rate_b`` (NaN when either has no checks)."""
    if not total_a or not total_b:
        return (math.nan, math.nan)
    p_a, p_b = passed_a / total_a, passed_b / total_b
    low_a, high_a = _wilson(passed_a, total_a)
    low_b, high_b = _wilson(passed_b, total_b)
    drop = p_a - p_b
    below = math.sqrt((p_a - low_a) ** 2 + (high_b - p_b) ** 2)
    above = math.sqrt((high_a - p_a) ** 2 + (p_b - low_b) ** 2)
    return (drop - below, drop + above)


class SweepComparison:
    """Sweep B against sweep A: per-cell deltas, cells in one only, pass-rate changes.

    Attributes:
        a, b: the two sweeps.
        deltas: one row per cell found in both (``prompt``, ``input``, ``variant``, outputs of
            each, then ``<metric>_a``, ``<metric>_b``, ``<metric>_delta`` = B - A).
        only_in_a, only_in_b: cells found in one sweep only (with their output counts).
        checks: per check over the joined cells: passes, totals, rates, ``drop`` (A - B) and
            its 95 % interval.
        notes: what to know reading the table (win rates from overall judgements only, and
            why a sweep judged by criteria only has none).
    """

    def __init__(self, a: SweepResult, b: SweepResult, joined: Joined) -> None:
        self.a, self.b = a, b
        self.deltas = joined.deltas
        self.only_in_a = joined.only_in_a
        self.only_in_b = joined.only_in_b
        self.checks = joined.checks
        self.notes = [note for name, s in (("A", a), ("B", b)) if (note := _criteria_note(name, s))]

    def to_dataframe(self) -> pandas.DataFrame:
        """The per-cell deltas (a copy)."""
        return self.deltas.copy()

    def worse(self, threshold: float = 0.05) -> pandas.DataFrame:
        """The checks whose pass rate dropped by more than ``threshold`` with an interval that
        excludes no drop (rows of :attr:`checks`)."""
        if not 0 <= threshold < 1:
            raise ValueError(f"the threshold is a share of checks from 0 to 1, got {threshold}")
        found = self.checks[(self.checks["drop"] > threshold) & (self.checks["drop_low"] > 0)]
        return found.reset_index(drop=True)

    def summary(self) -> str:
        """A few lines in words: cells joined and apart, totals, pass-rate changes."""
        lines = [
            f"A {self.a.sweep_id} vs B {self.b.sweep_id}: {len(self.deltas)} cells in both, "
            f"{len(self.only_in_a)} only in A, {len(self.only_in_b)} only in B",
            f"cost ${self.a.cost:.2f} -> ${self.b.cost:.2f}",
        ]
        lines += self.notes
        for row in self.checks.itertuples(index=False):
            lines.append(
                f"{row.check}: pass rate {_share(row.rate_a)} -> {_share(row.rate_b)} "
                f"(drop {row.drop:+.1%}, 95% {row.drop_low:+.1%} to {row.drop_high:+.1%})"
            )
        return "\n".join(lines)

    def show(self, max_px: int = 128, limit: int | None = 50) -> HTMLView:
        """A's and B's outputs of each joined cell side by side, with the deltas."""
        from phota_widgets.display import HTMLView
        from phota_widgets.experiments.compare.view import comparison_html

        title = f"{self.a.sweep_id} vs {self.b.sweep_id}"
        return HTMLView(comparison_html(self, max_px, limit), title)

    def export_html(self, path: str | os.PathLike[str], max_px: int = 192) -> Path:
        """Write the side-by-side view of every joined cell as one self-contained page."""
        from phota_widgets.files import atomic_write

        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, self.show(max_px, limit=None).page().encode("utf-8"))
        return target

    def _repr_html_(self) -> str:
        return self.show()._repr_html_()

    def __repr__(self) -> str:
        return f"SweepComparison({self.summary().splitlines()[0]})"


def _criteria_note(name: str, result: SweepResult) -> str:
    """Why a sweep's win rates are NaN or partial: they count overall judgements only."""
    from phota_widgets.experiments.review.criteria import criteria_judged

    judged = criteria_judged(result)
    if not judged:
        return ""
    named = ", ".join(judged)
    overall = bool(result.session.store.judgements(o.output_id for o in result.outputs()))
    what = "win_rate counts its overall judgements only" if overall else "win_rate is NaN"
    return (
        f"{name} ({result.sweep_id}) was judged by criteria ({named}){'' if overall else ' only'}: "
        f"{what}; compare res.leaderboard(criterion=...) for a criterion"
    )


def _share(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.0%}"


def compare_sweeps(a: SweepResult, b: SweepResult) -> SweepComparison:
    """Sweep ``b`` against sweep ``a``, cell by cell (see the module docs).

    Raises:
        ValueError: the two sweeps call different endpoints.
    """
    if a.endpoint != b.endpoint:
        raise ValueError(
            f"sweep {a.sweep_id} calls {a.endpoint} and {b.sweep_id} calls {b.endpoint}: "
            "compare sweeps of the same endpoint"
        )
    joined = compare_frames(a.to_dataframe(), b.to_dataframe(), win_rates(a), win_rates(b))
    return SweepComparison(a, b, joined)
