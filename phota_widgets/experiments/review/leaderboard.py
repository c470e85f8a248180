"""The leaderboard of a sweep: its judgements as comparisons, ranked, with stars, picks and cost.

What ``SweepResult.leaderboard()`` does: one row per variant (or per value of a swept setting),
Bradley-Terry scores with credible intervals (:mod:`~phota_widgets.experiments.review.ranking`),
mean stars, picks, cost per image and, when the sweep was scored, pass rates.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from phota_widgets.experiments.review.criteria import criteria_judged, no_overall, same_criterion
from phota_widgets.experiments.review.judgements import (
    judgements,
    parse_side,
    parse_winner,
    ratings,
)
from phota_widgets.experiments.review.ranking import (
    DRAWS,
    LEADERBOARD_COLUMNS,
    Comparison,
    PositionBias,
    position_bias,
    rank,
)

if TYPE_CHECKING:
    import pandas

    from phota_widgets.experiments.sweeps.result import SweepResult

__all__ = ["comparisons", "judgement_counts", "leaderboard", "position_bias_of"]


def _item_of(result: SweepResult, by: str | None) -> dict[str, str]:
    """Output id -> leaderboard item (its variant, or its value of the setting ``by``)."""
    if by is not None and by not in result.axes:
        swept = ", ".join(result.axes) or "nothing"
        raise ValueError(f"leaderboard(by={by!r}): that is not swept here (swept: {swept})")
    found = {}
    for out in result.outputs():
        info = out.cell.info
        found[out.output_id] = (
            info.variant if by is None else str(info.settings.get(by, info.vars.get(by)))
        )
    return found


def comparisons(
    result: SweepResult,
    by: str | None = None,
    judge: str | None = None,
    criterion: str | None = None,
) -> list[Comparison]:
    """The sweep's judgements (everyone's, or one ``judge``'s; overall, or by ``criterion``)
    between items."""
    item_of = _item_of(result, by)
    found = []
    for j in judgements(result, judge, criterion):
        a, b = item_of[j.output_a], item_of[j.output_b]
        if a != b:
            found.append(Comparison(a, b, parse_winner(j.winner), parse_side(j.shown_left)))
    return found


def leaderboard(
    result: SweepResult,
    by: str | None = None,
    *,
    seed: int = 0,
    draws: int = DRAWS,
    judge: str | None = None,
    criterion: str | None = None,
) -> pandas.DataFrame:
    """One row per variant (or per value of ``by``), best first; see ``LEADERBOARD_COLUMNS``.

    ``judge`` limits the judgements and ratings to one person's (default: everyone's).
    ``criterion`` ranks by the judgements by that criterion (default: the overall ones; stars,
    picks and cost are the same on every criterion's board).

    ``df.attrs["position_bias"]`` holds a :class:`PositionBias` (how often the left side won):
    the judge's, over every judgement of the sweep (by the same criterion), whatever ``by``.
    ``df.attrs["criterion"]`` says which criterion ranked it (None: overall).

    Raises:
        ValueError: ``by`` is not swept; no judgement by ``criterion``; or (no criterion) the
            sweep was judged by criteria only, naming them.
    """
    import pandas as pd

    criterion = same_criterion(result, criterion)
    item_of = _item_of(result, by)
    if by is None:
        items = result.variants
    else:
        items = list(dict.fromkeys(item_of[o.output_id] for o in result.outputs()))
    comps = comparisons(result, by, judge, criterion)
    if not comps:
        _refuse_missing_criterion(result, judge, criterion)
    board = rank(items, comps, seed=seed, draws=draws)
    stars: dict[str, list[int]] = defaultdict(list)
    for r in ratings(result, judge):
        stars[item_of[r.output_id]].append(r.stars)
    picks: dict[str, int] = defaultdict(int)
    cost: dict[str, float] = defaultdict(float)
    images: dict[str, int] = defaultdict(int)
    for out in result.outputs():
        item = item_of[out.output_id]
        picks[item] += int(out.record.picked)
        images[item] += 1
        run = out.cell.run
        if run is not None and run.cost is not None and run.outputs:
            cost[item] += run.cost / len(run.outputs)
    board["mean_stars"] = [
        sum(stars[v]) / len(stars[v]) if stars[v] else float("nan") for v in board["variant"]
    ]
    board["picks"] = [picks[v] for v in board["variant"]]
    board["cost_per_image"] = [
        round(cost[v] / images[v], 4) if images[v] else float("nan") for v in board["variant"]
    ]
    board = pd.DataFrame(board, columns=list(LEADERBOARD_COLUMNS))
    from phota_widgets.experiments.scoring.summary import leaderboard_columns

    for column, values in leaderboard_columns(result, list(board["variant"]), item_of).items():
        board[column] = values  # pass_rate and mean_<score>, when the sweep was scored
    if by is not None:
        board = board.rename(columns={"variant": by})
    board.attrs["position_bias"] = position_bias_of(result, judge, criterion)
    board.attrs["criterion"] = criterion
    return board


def _refuse_missing_criterion(
    result: SweepResult, judge: str | None, criterion: str | None
) -> None:
    """Nothing to rank: say so when the judgements are by other criteria (or by criteria only);
    a sweep nobody judged yet gets its empty board."""
    judged = criteria_judged(result, judge)
    overall = judgements(result, judge)
    if criterion is None and judged and not overall:
        raise no_overall("leaderboard", judged, judge)
    if criterion is not None and criterion not in judged and (judged or overall):
        named = ", ".join(repr(c) for c in judged) or "none, only overall judgements"
        of = "this sweep" if judge is None else f"this sweep by {judge!r}"
        raise ValueError(
            f"no judgement of {of} is by criterion {criterion!r} (criteria judged: {named})"
        )


def position_bias_of(
    result: SweepResult, judge: str | None = None, criterion: str | None = None
) -> PositionBias:
    """How often the left side won in this sweep's reviews (everyone's, or one ``judge``'s;
    overall or by ``criterion``), over every judgement with recorded sides."""
    return position_bias(
        [
            Comparison(j.output_a, j.output_b, parse_winner(j.winner), parse_side(j.shown_left))
            for j in judgements(result, judge, criterion)
        ]
    )


def judgement_counts(result: SweepResult, criterion: str | None = None) -> dict[str, int]:
    """How many judgements (overall, or by ``criterion``): ``total``, each winner (``a``,
    ``b``, ``tie``, ``both_bad``), ``judges`` and ``rated`` (outputs with stars)."""
    found = judgements(result, criterion=criterion)
    counts = {"total": len(found), "a": 0, "b": 0, "tie": 0, "both_bad": 0}
    for j in found:
        counts[j.winner] += 1
    counts["judges"] = len({j.judge for j in found})
    counts["rated"] = len({r.output_id for r in ratings(result)})
    return counts
