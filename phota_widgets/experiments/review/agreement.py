"""Agreement between judges: share agreeing, Cohen's kappa with a 95 % interval, disagreements.

Two judges are compared over the pairs of outputs both judged (a pair is the same two outputs,
whichever side each was on). When a judge judged a pair more than once, their latest judgement
counts. Answers are put in one orientation per pair (the smaller output id first), so "a" of
one judge and "b" of another with the outputs swapped is the same answer. The four answers
(first better, second better, tie, both bad) are the categories of an unweighted Cohen's kappa.

Kappa's 95 % interval is a credible interval: the two judges' table of answers drawn from its
posterior (a Dirichlet over the table's cells, with half a pseudo-count in each), kappa computed
for every draw (seeded: the same answers give the same interval). Unlike the large-sample
formula it stays honest on small and lopsided samples: never zero wide because every answer
agreed, or because one judge gave one answer throughout (that formula said "0.00 to 0.00"), and
wide at a handful of pairs. Kappa is undefined (NaN) when both judges gave one same answer
throughout. The share agreeing has a Wilson interval. Kappa is 1 for perfect agreement, about 0
for agreement no better than chance, and negative for judges who tend to answer the opposite.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import binomtest

from phota_widgets.experiments.review.criteria import criteria_judged, no_overall, same_criterion
from phota_widgets.store import JudgementRecord

if TYPE_CHECKING:
    import pandas

    from phota_widgets.experiments.sweeps.result import SweepResult

__all__ = [
    "AGREEMENT_COLUMNS",
    "Agreement",
    "agreement",
    "agreement_html",
    "agreement_of",
    "agreement_table",
    "cohen_kappa",
]

ANSWERS = ("first", "second", "tie", "both_bad")
"""Answers in a pair's fixed orientation (the smaller output id is ``first``)."""
AGREEMENT_COLUMNS = (
    "judge_a", "judge_b", "pairs", "agreeing", "share_agreeing", "kappa", "kappa_low",
    "kappa_high",
)  # fmt: skip
DISAGREEMENT_COLUMNS = ("output_1", "output_2", "variant_1", "variant_2", "answer_a", "answer_b")
KAPPA_DRAWS = 4000
"""Posterior draws behind kappa's interval."""
KAPPA_PRIOR = 0.5
"""Pseudo-count added to every cell of the answer table (Jeffreys' prior)."""


@dataclass(frozen=True)
class Agreement:
    """How far two judges agree over the pairs both judged.

    Attributes:
        judge_a, judge_b: the two judges.
        pairs: pairs both judged.
        agreeing: pairs where they gave the same answer.
        share: ``agreeing / pairs`` (NaN without pairs), with its 95 % Wilson interval.
        kappa: Cohen's kappa (NaN without pairs, or when both always gave one same answer),
            with its 95 % interval ``kappa_low``-``kappa_high``.
        disagreements: the pairs they answered differently, to discuss (one row each:
            ``output_1``, ``output_2``, their variants, and each judge's answer: ``first``
            (output_1 better), ``second``, ``tie`` or ``both_bad``).
    """

    judge_a: str
    judge_b: str
    pairs: int
    agreeing: int
    share: float
    share_low: float
    share_high: float
    kappa: float
    kappa_low: float
    kappa_high: float
    disagreements: pandas.DataFrame = field(repr=False, compare=False)

    def __str__(self) -> str:
        if not self.pairs:
            return f"{self.judge_a} and {self.judge_b} have judged no pair in common yet"
        kappa = "undefined (one answer only)" if math.isnan(self.kappa) else (
            f"{self.kappa:.2f} (95% {self.kappa_low:.2f} to {self.kappa_high:.2f})"
        )  # fmt: skip
        return (
            f"{self.judge_a} and {self.judge_b} agree on {self.agreeing} of {self.pairs} pairs "
            f"({self.share:.0%}, 95% {self.share_low:.0%}-{self.share_high:.0%}); "
            f"Cohen's kappa {kappa}; {self.pairs - self.agreeing} to discuss"
        )

    def _repr_html_(self) -> str:
        table = self.disagreements.to_html(index=False, border=0) if self.pairs else ""
        return f'<div class="phota-agreement"><p>{escape(str(self))}</p>{table}</div>'


def cohen_kappa(
    first: Sequence[str], second: Sequence[str], *, seed: int = 0
) -> tuple[float, float, float]:
    """Unweighted Cohen's kappa of two equally long label lists and its 95 % credible
    interval (see the module docs; it always holds the estimate).

    Returns NaNs for no labels or when chance agreement is certain (one label throughout).
    """
    if len(first) != len(second):
        raise ValueError(f"the label lists differ in length ({len(first)} and {len(second)})")
    n = len(first)
    if not n:
        return (math.nan, math.nan, math.nan)
    labels = {label: i for i, label in enumerate(sorted(set(first) | set(second)))}
    table = np.zeros((len(labels), len(labels)))
    np.add.at(table, ([labels[x] for x in first], [labels[y] for y in second]), 1.0)
    p = table / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    observed, expected = float(np.trace(p)), float(rows @ cols)
    if expected >= 1.0 - 1e-12:
        return (math.nan, math.nan, math.nan)
    kappa = (observed - expected) / (1.0 - expected)
    size = len(labels)
    rng = np.random.default_rng(seed)
    cells = rng.dirichlet(table.ravel() + KAPPA_PRIOR, size=KAPPA_DRAWS).reshape(-1, size, size)
    agreed = np.trace(cells, axis1=1, axis2=2)
    chance = np.einsum("di,di->d", cells.sum(axis=2), cells.sum(axis=1))
    kappas = (agreed - chance) / (1.0 - chance)
    low, high = (float(q) for q in np.quantile(kappas, [0.025, 0.975]))
    return (kappa, max(-1.0, min(low, kappa)), min(1.0, max(high, kappa)))


def oriented_answers(found: Iterable[JudgementRecord]) -> dict[str, dict[tuple[str, str], str]]:
    """Judge -> (first, second output id) -> their latest answer in that orientation."""
    answers: dict[str, dict[tuple[str, str], str]] = {}
    for j in sorted(found, key=lambda r: (r.created_at, r.judgement_id)):
        swapped = j.output_b < j.output_a
        key = (j.output_b, j.output_a) if swapped else (j.output_a, j.output_b)
        answer = {"a": "first", "b": "second"}.get(j.winner, j.winner)
        if swapped and answer in ("first", "second"):
            answer = "second" if answer == "first" else "first"
        answers.setdefault(j.judge, {})[key] = answer
    return answers


def compare_judges(
    judge_a: str,
    judge_b: str,
    answers: dict[str, dict[tuple[str, str], str]],
    variant_of: dict[str, str] | None = None,
) -> Agreement:
    """The agreement of two judges given everyone's oriented answers."""
    import pandas as pd

    mine, theirs = answers.get(judge_a, {}), answers.get(judge_b, {})
    shared = sorted(mine.keys() & theirs.keys())
    first = [mine[k] for k in shared]
    second = [theirs[k] for k in shared]
    agreeing = sum(x == y for x, y in zip(first, second, strict=True))
    kappa, low, high = cohen_kappa(first, second)
    share = share_low = share_high = math.nan
    if shared:
        share = agreeing / len(shared)
        interval = binomtest(agreeing, len(shared)).proportion_ci(method="wilson")
        share_low, share_high = float(interval.low), float(interval.high)
    names = variant_of or {}
    rows = [
        (one, two, names.get(one, ""), names.get(two, ""), mine[(one, two)], theirs[(one, two)])
        for one, two in shared
        if mine[(one, two)] != theirs[(one, two)]
    ]
    frame = pd.DataFrame(rows, columns=list(DISAGREEMENT_COLUMNS))
    return Agreement(
        judge_a, judge_b, len(shared), agreeing, share, share_low, share_high, kappa, low, high,
        frame,
    )  # fmt: skip


def _variants(result: SweepResult) -> dict[str, str]:
    return {o.output_id: o.cell.info.variant for o in result.outputs()}


def _answers(
    result: SweepResult, criterion: str | None = None
) -> dict[str, dict[tuple[str, str], str]]:
    ids = [o.output_id for o in result.outputs()]
    return oriented_answers(result.session.store.judgements(ids, criterion=criterion))


def agreement(
    result: SweepResult, judge_a: str, judge_b: str, criterion: str | None = None
) -> Agreement:
    """How far two judges agree on this sweep's pairs, overall or by ``criterion`` (see the
    module docs).

    Raises:
        ValueError: the same judge twice, or a judge who judged nothing in this sweep (by
            that criterion; the criteria judged are named).
    """
    if judge_a == judge_b:
        raise ValueError(f"agreement needs two different judges (got {judge_a!r} twice)")
    criterion = same_criterion(result, criterion)
    answers = _answers(result, criterion)
    for name in (judge_a, judge_b):
        if name not in answers:
            by = " overall" if criterion is None else f" by criterion {criterion!r}"
            known = ", ".join(sorted(answers)) or "nobody"
            judged = [c for c in criteria_judged(result, name) if c != criterion]
            hint = ""
            if judged:
                named = ", ".join(repr(c) for c in judged)
                hint = f"; {name!r} judged by criteria {named}: pass criterion={judged[0]!r}"
            raise ValueError(
                f"{name!r} has judged no pair of this sweep{by} (judges{by}: {known}){hint}"
            )
    return compare_judges(judge_a, judge_b, answers, _variants(result))


def agreement_of(
    result: SweepResult,
    judge_a: str | None,
    judge_b: str | None,
    criterion: str | None = None,
) -> Agreement | pandas.DataFrame:
    """``res.agreement()``: two judges' :class:`Agreement`, or with neither named the table
    (overall judgements, or those by ``criterion``).

    Raises:
        ValueError: one judge named without the other (and see :func:`agreement`).
    """
    if judge_a is None and judge_b is None:
        criterion = same_criterion(result, criterion)
        table = agreement_table(result, criterion)
        if table.empty and criterion is None:
            judged = criteria_judged(result)
            if judged and not _answers(result):
                raise no_overall("agreement", judged)
        return table
    if judge_a is None or judge_b is None:
        raise ValueError("name two judges (res.agreement('ana', 'ben')), or none for the table")
    return agreement(result, judge_a, judge_b, criterion)


def agreement_table(result: SweepResult, criterion: str | None = None) -> pandas.DataFrame:
    """Every two judges who judged a pair in common (overall, or by ``criterion``): one row
    each (``AGREEMENT_COLUMNS``)."""
    return table_of(_answers(result, criterion))


def table_of(answers: dict[str, dict[tuple[str, str], str]]) -> pandas.DataFrame:
    """The agreement table of everyone's oriented answers."""
    import pandas as pd

    rows = []
    for one, two in itertools.combinations(sorted(answers), 2):
        if answers[one].keys().isdisjoint(answers[two].keys()):
            continue
        found = compare_judges(one, two, answers)
        rows.append(
            (one, two, found.pairs, found.agreeing, found.share, found.kappa, found.kappa_low,
             found.kappa_high)
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(AGREEMENT_COLUMNS))


def agreement_html(result: SweepResult, criterion: str | None = None) -> str:
    """The report's agreement section (class ``phota-agreement``); empty with one judge."""
    table = agreement_table(result, criterion)
    if table.empty:
        return ""
    head = "".join(f"<th>{escape(c)}</th>" for c in AGREEMENT_COLUMNS)
    body = []
    for row in table.itertuples(index=False):
        cells = [escape(str(row.judge_a)), escape(str(row.judge_b)), str(row.pairs)]
        cells += [str(row.agreeing), _number(row.share_agreeing, "{:.0%}")]
        cells += [_number(v, "{:.2f}") for v in (row.kappa, row.kappa_low, row.kappa_high)]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (
        '<div class="phota-agreement"><h3 style="margin:8px 0 4px">Agreement between judges'
        f"{'' if criterion is None else escape(f' on {criterion}')}"
        '</h3><table style="border-collapse:collapse;font-size:12px">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        '<div><small style="color:#555">Cohen\'s kappa over the pairs both judged: 1 = '
        "always agree, 0 = no better than chance, below 0 = tend to answer the opposite."
        "</small></div></div>"
    )


def _number(value: float, style: str) -> str:
    return "–" if math.isnan(value) else style.format(value)
