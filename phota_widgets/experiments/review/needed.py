"""How many more judgements until the leaderboard's top two variants are told apart.

Estimated from the current fit by simulation: future judgements are drawn as the review
schedules them (every pair of variants in turn, here uniformly), their outcomes from the current
Bradley-Terry scores (ties at the share seen so far), and added to the judgements made. Each
simulated set is refitted and the top two's 95 % intervals are taken from the fit's Fisher
information (the leaderboard's bootstrap would take minutes over hundreds of refits). The
answer is the smallest number of further judgements after which at least half the simulations
separate the two, searched over a doubling then halving grid, or "more than" the cap when the
current fit sees them nearly equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import choix
import numpy as np
import numpy.typing as npt

from phota_widgets.experiments.review.ranking import Comparison

if TYPE_CHECKING:
    import pandas

    from phota_widgets.experiments.sweeps.result import SweepResult

__all__ = ["Needed", "judgements_needed", "needed_line", "with_needed"]

CAP = 20_000
"""The largest number of further judgements searched for."""
_Z = 1.959963984540054
_PRIOR = 0.1


@dataclass(frozen=True)
class Needed:
    """The estimate: ``judgements`` more (None when none are needed or beyond ``cap``).

    Attributes:
        top, runner_up: the two variants compared (None with fewer than two judged).
        judgements: about how many more judgements (None: see ``apart`` and ``beyond``).
        apart: the two are already told apart (their intervals do not overlap).
        beyond: not separated even after ``cap`` more (the fit sees them nearly equal).
        cap: the largest number searched.
    """

    top: str | None
    runner_up: str | None
    judgements: int | None
    apart: bool = False
    beyond: bool = False
    cap: int = CAP

    def __str__(self) -> str:
        if self.top is None or self.runner_up is None:
            return "judgements needed: judge some pairs first"
        pair = f"{self.top} and {self.runner_up}"
        if self.apart:
            return f"{pair}: already told apart"
        if self.beyond:
            return f"{pair}: more than {self.cap:,} more judgements to tell apart (nearly equal)"
        return f"{pair}: about {self.judgements:,} more judgements to tell apart"


def judgements_needed(
    board: pandas.DataFrame,
    comparisons: Sequence[Comparison],
    *,
    simulations: int = 24,
    seed: int = 0,
    cap: int = CAP,
) -> Needed:
    """The estimate for a leaderboard (rows best first, its first column the item) and the
    judgements it was fitted on."""
    key = board.columns[0]
    judged = board[board["judgements"] > 0]
    if len(judged) < 2 or not comparisons:
        return Needed(None, None, None, cap=cap)
    top, second = str(judged.iloc[0][key]), str(judged.iloc[1][key])
    if float(judged.iloc[0]["ci_low"]) > float(judged.iloc[1]["ci_high"]):
        return Needed(top, second, None, apart=True, cap=cap)
    items = [str(v) for v in board[key]]
    sim = _Simulator(items, comparisons, items.index(top), items.index(second), seed)
    if not sim.separated(cap, simulations):
        return Needed(top, second, None, beyond=True, cap=cap)
    low, high = 0, 8
    while high < cap and not sim.separated(high, simulations):
        low, high = high, high * 2
    high = min(high, cap)
    while high - low > max(1, high // 20):  # within 5 %
        middle = (low + high) // 2
        if sim.separated(middle, simulations):
            high = middle
        else:
            low = middle
    return Needed(top, second, high, cap=cap)


class _Simulator:
    """Draws further judgements from the current fit and checks the top two's intervals."""

    def __init__(
        self, items: list[str], comparisons: Sequence[Comparison], top: int, second: int, seed: int
    ) -> None:
        index = {item: i for i, item in enumerate(items)}
        size = len(items)
        self.wins = np.zeros((size, size))
        ties = 0
        for c in comparisons:
            i, j = index[c.a], index[c.b]
            share = 1.0 if c.winner == "a" else 0.0 if c.winner == "b" else 0.5
            ties += share == 0.5
            self.wins[i, j] += share
            self.wins[j, i] += 1.0 - share
        self.tie_share = ties / len(comparisons)
        self.scores = _fit(self.wins)
        self.pairs = np.array([(i, j) for i in range(size) for j in range(i + 1, size)])
        self.top, self.second = top, second
        self.seed = seed

    def separated(self, more: int, simulations: int) -> bool:
        """Whether at least half the simulated futures with ``more`` judgements separate them."""
        rng = np.random.default_rng(self.seed)
        hits = 0
        for _ in range(simulations):
            if self._one(rng, more):
                hits += 1
            if hits * 2 >= simulations:
                return True
        return False

    def _one(self, rng: np.random.Generator, more: int) -> bool:
        drawn = self.pairs[rng.integers(0, len(self.pairs), more)]
        first, second = drawn[:, 0], drawn[:, 1]
        p_first = 1.0 / (1.0 + np.exp(self.scores[second] - self.scores[first]))
        tie = rng.random(more) < self.tie_share
        won = rng.random(more) < p_first
        share = np.where(tie, 0.5, won.astype(float))
        wins = self.wins.copy()
        np.add.at(wins, (first, second), share)
        np.add.at(wins, (second, first), 1.0 - share)
        scores = _fit(wins, self.scores)
        low, high = _intervals(wins, scores)
        return bool(low[self.top] > high[self.second] or low[self.second] > high[self.top])


def _fit(
    wins: npt.NDArray[np.float64], start: npt.NDArray[np.float64] | None = None
) -> npt.NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        params = np.asarray(
            choix.ilsr_pairwise_dense(wins, alpha=_PRIOR, initial_params=start, tol=1e-6),
            dtype=float,
        )
    return params - float(np.mean(params))


def _intervals(
    wins: npt.NDArray[np.float64], scores: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """95 % intervals of the centred scores from the Bradley-Terry Fisher information."""
    games = wins + wins.T + 2 * _PRIOR
    np.fill_diagonal(games, 0.0)
    p = 1.0 / (1.0 + np.exp(-np.subtract.outer(scores, scores)))
    weight = games * p * (1.0 - p)
    information = np.diag(weight.sum(axis=1)) - weight
    spread = np.sqrt(np.clip(np.diag(np.linalg.pinv(information)), 0.0, None))
    return scores - _Z * spread, scores + _Z * spread


def needed_line(board: pandas.DataFrame) -> str:
    """The panel's and report's line: ``str(board.attrs["needed"])`` or nothing."""
    found = board.attrs.get("needed")
    return "" if found is None else str(found)


def with_needed(
    result: SweepResult,
    board: pandas.DataFrame,
    by: str | None,
    judge: str | None,
    criterion: str | None = None,
) -> pandas.DataFrame:
    """The leaderboard with ``attrs["needed"]`` set (a :class:`Needed`): judgements by the
    board's ``criterion`` (None: overall ones) still needed."""
    from phota_widgets.experiments.review.leaderboard import comparisons

    found = comparisons(result, by, judge, criterion)
    board.attrs["needed"] = judgements_needed(board, found)
    return board
