"""Review by design: which pairs a review compares, and who judges which.

``compare=["base_model"]`` keeps the pairs whose two outputs differ along those axes and agree
on every other swept setting and var (so with the same filled prompt and input, a pair says
something about the base model alone). ``assign(["ana", "ben"], overlap=0.2)`` splits the pairs
no person has judged among annotators, in turn, and gives a share of them to a second annotator as
well (what agreement is measured on); each annotator's panel then offers only theirs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

from phota_widgets.experiments.review.criteria import MODEL_JUDGE_PREFIX, pairs_done, same_criteria
from phota_widgets.store.model_judging import pair_key

if TYPE_CHECKING:
    import pandas

    from phota_widgets.experiments.review.pairs import ReviewPair
    from phota_widgets.experiments.sweeps.result import SweepResult

__all__ = ["assign", "compared_axes", "pairs_along", "pairs_for"]


def compared_axes(result: SweepResult, compare: str | Sequence[str] | None) -> list[str] | None:
    """The axes a review compares along (None: any), checked against the sweep's.

    Raises:
        ValueError: an axis the sweep does not sweep.
    """
    if compare is None:
        return None
    axes = [compare] if isinstance(compare, str) else list(compare)
    unknown = [a for a in axes if a not in result.axes]
    if unknown or not axes:
        swept = ", ".join(result.axes) or "nothing"
        raise ValueError(
            f"compare={compare!r}: {', '.join(unknown) or 'no axis'} is not swept here "
            f"(swept: {swept})"
        )
    return axes


def pairs_along(
    result: SweepResult, pairs: Sequence[ReviewPair], axes: Sequence[str]
) -> list[ReviewPair]:
    """The pairs that differ along ``axes`` only (and along at least one of them)."""
    labels = {}
    for out in result.outputs():
        info = out.cell.info
        labels[out.output_id] = {**info.settings, **info.vars}
    kept = []
    for pair in pairs:
        one, two = labels[pair.a.output_id], labels[pair.b.output_id]
        differing = {k for k in one.keys() | two.keys() if one.get(k) != two.get(k)}
        if differing and differing <= set(axes):
            kept.append(pair)
    return kept


def pairs_for(
    result: SweepResult,
    pairs: Sequence[ReviewPair],
    *,
    judge: str,
    compare: str | Sequence[str] | None = None,
) -> list[ReviewPair]:
    """The pairs a review panel offers: along ``compare``, and the judge's own when the sweep's
    pairs have been assigned."""
    axes = compared_axes(result, compare)
    found = list(pairs) if axes is None else pairs_along(result, pairs, axes)
    assigned = result.session.store.assignments.of_sweep(result.sweep_id)
    if assigned:
        mine = assigned.get(judge, set())
        found = [p for p in found if pair_key(p.a.output_id, p.b.output_id) in mine]
    return found


def assign(
    result: SweepResult,
    judges: Sequence[str],
    *,
    overlap: float = 0.2,
    compare: str | Sequence[str] | None = None,
    criteria: Sequence[str] | None = None,
    seed: int = 0,
) -> pandas.DataFrame:
    """Split the pairs no person has judged among ``judges``; ``overlap`` of them go to two.

    A pair counts as judged when a person (a model judge, ``model:<name>``, does not count,
    so people can be given its pairs and their agreement with it measured) judged it overall,
    or with ``criteria``, by every criterion asked (what a review panel offers again).

    Each pair goes to one annotator in turn (after a seeded shuffle); the first
    ``round(overlap * pairs)`` of them also to the next annotator. Assigning again replaces
    the sweep's earlier assignment.

    Returns:
        One row per annotator: ``judge``, ``pairs`` (assigned), ``shared`` (also assigned to
        another).

    Raises:
        ValueError: fewer than one annotator, a repeated or empty name, an overlap outside
            0-1, an overlap with a single annotator, or bad criteria.
    """
    import pandas as pd

    from phota_widgets.experiments.review.pairs import review_items, schedule_pairs

    names = [j.strip() for j in judges]
    if not names or any(not n for n in names) or len(set(names)) != len(names):
        raise ValueError(f"give distinct, non-empty annotator names, got {list(judges)!r}")
    if not 0 <= overlap <= 1:
        raise ValueError(f"overlap is a share of pairs from 0 to 1, got {overlap}")
    if overlap and len(names) < 2:
        raise ValueError("an overlap needs at least two annotators (or overlap=0)")
    axes = compared_axes(result, compare)
    asked = same_criteria(result, criteria)
    ids = [o.output_id for o in result.outputs()]
    judged = result.session.store.judgements(ids, every_criterion=True)
    people = (j for j in judged if not j.judge.startswith(MODEL_JUDGE_PREFIX))
    done = pairs_done(people, asked)
    pairs = schedule_pairs(review_items(result), seed=seed, done=done)
    if axes is not None:
        pairs = pairs_along(result, pairs, axes)
    keys = [pair_key(p.a.output_id, p.b.output_id) for p in pairs]
    random.Random(seed).shuffle(keys)
    shared = round(overlap * len(keys)) if len(names) > 1 else 0
    rows: list[tuple[str, str]] = []
    for k, key in enumerate(keys):
        rows.append((key, names[k % len(names)]))
        if k < shared:
            rows.append((key, names[(k + 1) % len(names)]))
    result.session.store.assignments.replace(result.sweep_id, rows)
    counts = {n: 0 for n in names}
    doubled = {n: 0 for n in names}
    for _, name in rows:
        counts[name] += 1
    for k in range(shared):
        doubled[names[k % len(names)]] += 1
        doubled[names[(k + 1) % len(names)]] += 1
    frame = pd.DataFrame(
        {"judge": names, "pairs": [counts[n] for n in names], "shared": [doubled[n] for n in names]}
    )
    frame.attrs["pairs"] = len(keys)
    frame.attrs["overlap"] = shared / len(keys) if keys else math.nan
    return frame
