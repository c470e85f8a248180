"""Bradley-Terry ranking of variants from pairwise judgements, with credible intervals.

Each judgement compares two items (variants, or values of one setting). The model is a Bayesian
Bradley-Terry: a win counts 1 for the winner; a ``tie`` and a ``both_bad`` each count half a win
for both sides (neither was preferred: the usual treatment of ties, as Chatbot Arena does).

The prior is pseudo-judgements: ``prior`` pseudo-wins and as many pseudo-losses per item, spread
evenly over the other items (``prior / (n - 1)`` each way between every pair). With two items
and ``prior=1`` it is the uniform prior on the chance that one beats the other. It keeps the
score of a variant that won (or lost) every judgement finite, leaves a variant never judged in
the middle, and does not grow with the number of variants. ``prior=0`` gives the plain
maximum-likelihood fit (which exists only when every variant both won and lost, directly or
through others); the interval always uses at least ``INTERVAL_MIN_PRIOR``.

``score`` is the posterior mode (choix's iterative Luce spectral ranking,
``choix.ilsr_pairwise_dense``, on the win counts plus the pseudo-wins), the log-strength
centred on 0 over the items: a variant ``d`` higher than another is expected to win
``1 / (1 + exp(-d))`` of their judgements (1.0 higher: 73 %). ``ci_low``/``ci_high`` is the
95 % credible interval of the score, from the posterior itself (see
:mod:`phota_widgets.experiments.review.posterior`), so it stays wide while judgements are few,
even when they are unanimous (3 of 3 does not tell two variants apart; about 6 of 6 does). Two
variants whose intervals overlap are not yet told apart: judge more pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

import choix
import numpy as np
import numpy.typing as npt

from phota_widgets.experiments.review.posterior import posterior_interval

if TYPE_CHECKING:
    import pandas

__all__ = [
    "LEADERBOARD_COLUMNS",
    "Comparison",
    "PositionBias",
    "Winner",
    "fit_scores",
    "position_bias",
    "rank",
]

Winner = Literal["a", "b", "tie", "both_bad"]
WINNERS: tuple[Winner, ...] = get_args(Winner)
Side = Literal["a", "b"]

RANK_COLUMNS = (
    "variant", "judgements", "wins", "losses", "ties", "win_rate", "score", "ci_low", "ci_high",
)  # fmt: skip
LEADERBOARD_COLUMNS = (*RANK_COLUMNS, "mean_stars", "picks", "cost_per_image")
"""The columns of ``SweepResult.leaderboard()``, in order."""


@dataclass(frozen=True)
class Comparison:
    """One pairwise judgement between items ``a`` and ``b``.

    Attributes:
        a, b: the two items (variant labels, or values of one setting).
        winner: ``"a"``, ``"b"``, ``"tie"`` or ``"both_bad"``.
        left: which of ``a``/``b`` was shown on the left, or None when not shown (from code).
    """

    a: str
    b: str
    winner: Winner
    left: Side | None = None

    def __post_init__(self) -> None:
        if self.winner not in WINNERS:
            raise ValueError(f"winner must be one of {list(WINNERS)}, got {self.winner!r}")
        if self.left not in (None, "a", "b"):
            raise ValueError(f"left must be 'a', 'b' or None, got {self.left!r}")


@dataclass(frozen=True)
class PositionBias:
    """How often the side shown on the left won, over decisive judgements with known sides.

    Attributes:
        decisive: judgements with a winner and a recorded side.
        left_wins: how many of them the left side won.
        rate: ``left_wins / decisive`` (NaN without any); 0.5 means no bias.
        ci_low, ci_high: a 95 % Wilson interval of the rate.
    """

    decisive: int
    left_wins: int
    rate: float
    ci_low: float
    ci_high: float

    def __str__(self) -> str:
        if not self.decisive:
            return "left side won: no decisive judgements with recorded sides yet"
        return (
            f"left side won {self.left_wins} of {self.decisive} ({self.rate:.0%}, "
            f"95% {self.ci_low:.0%}-{self.ci_high:.0%}; 50% = no position bias)"
        )


@dataclass(frozen=True)
class _Encoded:
    """Judgements as arrays: first and second item index, and the first item's share (1, 0.5, 0)."""

    first: npt.NDArray[np.intp]
    second: npt.NDArray[np.intp]
    share: npt.NDArray[np.float64]
    size: int


def _encode(index: dict[str, int], comparisons: Sequence[Comparison]) -> _Encoded:
    first = np.array([index[c.a] for c in comparisons], dtype=np.intp)
    second = np.array([index[c.b] for c in comparisons], dtype=np.intp)
    share = np.array(
        [1.0 if c.winner == "a" else 0.0 if c.winner == "b" else 0.5 for c in comparisons]
    )
    return _Encoded(first, second, share, len(index))


def _win_matrix(data: _Encoded, weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``m[i, j]``: weighted wins of item i over item j (ties half each way)."""
    mat = np.zeros((data.size, data.size))
    np.add.at(mat, (data.first, data.second), weights * data.share)
    np.add.at(mat, (data.second, data.first), weights * (1.0 - data.share))
    return mat


DEFAULT_PRIOR = 0.5
"""Pseudo-wins (and pseudo-losses) per item: with two items, a uniform prior on the win chance."""
INTERVAL_MIN_PRIOR = 0.05
"""The interval needs a proper posterior: it uses at least this prior."""
DRAWS = 4000
"""Posterior samples behind an interval."""


def _with_prior(mat: npt.NDArray[np.float64], prior: float) -> npt.NDArray[np.float64]:
    """The win matrix plus ``prior / (n - 1)`` pseudo-wins each way between every pair."""
    size = len(mat)
    if size < 2 or prior == 0:
        return mat
    pseudo = np.full((size, size), prior / (size - 1))
    np.fill_diagonal(pseudo, 0.0)
    return np.asarray(mat + pseudo, dtype=float)


def _fit(mat: npt.NDArray[np.float64], prior: float) -> npt.NDArray[np.float64]:
    """The posterior mode: the maximum-likelihood fit of the wins plus the pseudo-wins."""
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            params = choix.ilsr_pairwise_dense(
                _with_prior(mat, prior), alpha=0.0, max_iter=1000, tol=1e-9
            )
    except (RuntimeError, ValueError):  # choix: no convergence, no stationary distribution
        params = np.full(len(mat), np.nan)
    params = np.asarray(params, dtype=float)
    if not np.isfinite(params).all():
        raise ValueError(
            "these judgements have no finite Bradley-Terry fit without a prior (a variant won "
            "or lost every judgement, or the variants fall into groups never compared): "
            "use prior > 0"
        )
    return params - float(np.mean(params))


def fit_scores(
    items: Sequence[str], comparisons: Sequence[Comparison], *, prior: float = DEFAULT_PRIOR
) -> dict[str, float]:
    """Bradley-Terry log-strengths (centred on 0) of the items.

    Raises:
        ValueError: a comparison names an item not in ``items``, or ``prior`` is negative.
    """
    index = _index(items, comparisons, prior)
    if not comparisons:
        return dict.fromkeys(items, 0.0)
    scores = _fit(_win_matrix(_encode(index, comparisons), np.ones(len(comparisons))), prior)
    return {item: float(scores[i]) for item, i in index.items()}


def rank(
    items: Sequence[str],
    comparisons: Sequence[Comparison],
    *,
    prior: float = DEFAULT_PRIOR,
    draws: int = DRAWS,
    seed: int = 0,
    confidence: float = 0.95,
) -> pandas.DataFrame:
    """A leaderboard of the items: counts, win rate, score and its credible interval.

    Items never judged get NaN for ``win_rate``, ``score`` and the interval. Rows are sorted by
    score (best first), then by name.

    Args:
        items: every item to list (even those never judged).
        comparisons: the judgements; a comparison of an item with itself is ignored.
        prior: pseudo-wins and pseudo-losses per item (see the module docs).
        draws: posterior samples behind the interval (0 for no interval).
        seed: the sampling seed (the same seed gives the same interval).
        confidence: the interval's coverage.
    """
    import pandas as pd

    comps = [c for c in comparisons if c.a != c.b]
    index = _index(items, comps, prior)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    size = len(index)
    wins = np.zeros(size, dtype=int)
    losses = np.zeros(size, dtype=int)
    ties = np.zeros(size, dtype=int)
    for comp in comps:
        i, j = index[comp.a], index[comp.b]
        if comp.winner == "a":
            wins[i] += 1
            losses[j] += 1
        elif comp.winner == "b":
            wins[j] += 1
            losses[i] += 1
        else:
            ties[i] += 1
            ties[j] += 1
    judged = wins + losses + ties
    scores = np.full(size, np.nan)
    low = np.full(size, np.nan)
    high = np.full(size, np.nan)
    if comps:
        mat = _win_matrix(_encode(index, comps), np.ones(len(comps)))
        scores = _fit(mat, prior)
        if draws > 0:
            interval_prior = max(prior, INTERVAL_MIN_PRIOR)
            mode = scores if interval_prior == prior else _fit(mat, interval_prior)
            low, high = posterior_interval(
                _with_prior(mat, interval_prior),
                mode,
                draws=draws,
                seed=seed,
                confidence=confidence,
            )
    never = judged == 0
    scores[never] = low[never] = high[never] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        win_rate = np.where(never, np.nan, (wins + ties / 2) / np.maximum(judged, 1))
    frame = pd.DataFrame(
        {
            "variant": list(index),
            "judgements": judged,
            "wins": wins,
            "losses": losses,
            "ties": ties,
            "win_rate": win_rate,
            "score": scores,
            "ci_low": low,
            "ci_high": high,
        },
        columns=list(RANK_COLUMNS),
    )
    frame = frame.sort_values(["score", "variant"], ascending=[False, True], na_position="last")
    return frame.reset_index(drop=True)


def position_bias(comparisons: Sequence[Comparison]) -> PositionBias:
    """How often the left side won, over decisive judgements whose sides were recorded."""
    shown = [c for c in comparisons if c.left is not None and c.winner in ("a", "b")]
    left_wins = sum(c.winner == c.left for c in shown)
    n = len(shown)
    if not n:
        return PositionBias(0, 0, float("nan"), float("nan"), float("nan"))
    low, high = _wilson(left_wins, n)
    return PositionBias(n, left_wins, left_wins / n, low, high)


def _wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95 % by default)."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _index(items: Sequence[str], comparisons: Sequence[Comparison], prior: float) -> dict[str, int]:
    if prior < 0:
        raise ValueError(f"prior must be >= 0, got {prior}")
    index = {item: i for i, item in enumerate(dict.fromkeys(items))}
    for comp in comparisons:
        for item in (comp.a, comp.b):
            if item not in index:
                raise ValueError(f"judgement names {item!r}, which is not among {list(index)}")
    return index
