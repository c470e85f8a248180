"""Bradley-Terry leaderboard: a hand-computed case, ties, intervals (and their coverage) and
position bias."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from phota_widgets.experiments.review.ranking import Comparison, fit_scores, position_bias, rank


def _many(a: str, b: str, winner: str, n: int) -> list[Comparison]:
    return [Comparison(a, b, winner) for _ in range(n)]  # type: ignore[arg-type]


# A beats B 2-1, B beats C 2-1, A beats C 4-1. Strengths 4:2:1 satisfy the likelihood equations
# (wins of each item = its expected wins): A 6 = 3*4/6 + 5*4/5; B 3 = 3*2/6 + 3*2/3;
# C 2 = 3*1/3 + 5*1/5. So the log-strengths are log 4, log 2, log 1, centred: +ln2, 0, -ln2.
HAND = [
    *_many("A", "B", "a", 2), *_many("A", "B", "b", 1),
    *_many("B", "C", "a", 2), *_many("B", "C", "b", 1),
    *_many("A", "C", "a", 4), *_many("A", "C", "b", 1),
]  # fmt: skip


def test_hand_computed_three_variants() -> None:
    scores = fit_scores(["A", "B", "C"], HAND, prior=0.0)
    assert scores["A"] == pytest.approx(math.log(2), abs=1e-6)
    assert scores["B"] == pytest.approx(0.0, abs=1e-6)
    assert scores["C"] == pytest.approx(-math.log(2), abs=1e-6)

    board = rank(["C", "B", "A"], HAND, prior=0.0, draws=2000, seed=1)
    assert list(board["variant"]) == ["A", "B", "C"]
    assert list(board["wins"]) == [6, 3, 2]
    assert list(board["losses"]) == [2, 3, 6]
    assert list(board["judgements"]) == [8, 6, 8]
    assert board["win_rate"].tolist() == pytest.approx([6 / 8, 3 / 6, 2 / 8])
    assert (board["ci_low"] <= board["score"]).all() and (board["score"] <= board["ci_high"]).all()


def test_prior_shrinks_towards_the_middle_but_keeps_the_order() -> None:
    plain = fit_scores(["A", "B", "C"], HAND, prior=0.0)
    shrunk = fit_scores(["A", "B", "C"], HAND, prior=0.5)
    assert shrunk["A"] > shrunk["B"] > shrunk["C"]
    assert 0 < shrunk["A"] < plain["A"]


def test_ties_count_half_a_win_each_way() -> None:
    # two ties between A and B are the same evidence as one win each
    tied = fit_scores(["A", "B", "C"], [*_many("A", "B", "tie", 2), *_many("B", "C", "a", 3)])
    split = fit_scores(
        ["A", "B", "C"],
        [Comparison("A", "B", "a"), Comparison("A", "B", "b"), *_many("B", "C", "a", 3)],
    )
    assert tied == pytest.approx(split)
    both_bad = fit_scores(
        ["A", "B", "C"], [*_many("A", "B", "both_bad", 2), *_many("B", "C", "a", 3)]
    )
    assert both_bad == pytest.approx(tied)
    board = rank(["A", "B", "C"], _many("A", "B", "tie", 2), draws=0)
    row = board.set_index("variant").loc["A"]
    assert (row["wins"], row["losses"], row["ties"], row["win_rate"]) == (0, 0, 2, 0.5)


def test_a_variant_that_always_wins_gets_a_finite_score_and_unjudged_ones_nan() -> None:
    board = rank(["A", "B", "Z"], _many("A", "B", "a", 5), draws=500).set_index("variant")
    assert (
        np.isfinite(board.loc["A", "score"]) and board.loc["A", "score"] > board.loc["B", "score"]
    )
    assert board.loc["Z", "judgements"] == 0
    assert math.isnan(board.loc["Z", "score"]) and math.isnan(board.loc["Z", "ci_low"])
    assert list(board.index)[-1] == "Z"


def _simulated(n: int, seed: int) -> list[Comparison]:
    strengths = {"A": 1.0, "B": 0.0, "C": -1.0}
    rng = np.random.default_rng(seed)
    names = list(strengths)
    out = []
    for _ in range(n):
        a, b = rng.choice(names, 2, replace=False)
        p = 1 / (1 + math.exp(strengths[b] - strengths[a]))
        out.append(Comparison(str(a), str(b), "a" if rng.random() < p else "b"))
    return out


def test_intervals_shrink_with_more_judgements() -> None:
    few = rank(["A", "B", "C"], _simulated(30, 3), seed=0).set_index("variant")
    many = rank(["A", "B", "C"], _simulated(600, 3), seed=0).set_index("variant")
    few_width = few["ci_high"] - few["ci_low"]
    many_width = many["ci_high"] - many["ci_low"]
    assert (many_width < few_width / 2).all(), (few_width, many_width)
    assert list(many.index) == ["A", "B", "C"]
    assert many.loc["A", "ci_low"] > many.loc["C", "ci_high"]  # told apart


def test_the_interval_is_reproducible_with_its_seed() -> None:
    data = _simulated(50, 4)
    first = rank(["A", "B", "C"], data, seed=7)
    assert first.equals(rank(["A", "B", "C"], data, seed=7))
    assert not first.equals(rank(["A", "B", "C"], data, seed=8))


def test_position_bias_counts_left_wins_over_decisive_judgements() -> None:
    comps = [
        Comparison("A", "B", "a", left="a"),
        Comparison("A", "B", "a", left="a"),
        Comparison("A", "B", "b", left="a"),
        Comparison("A", "B", "b", left="b"),
        Comparison("A", "B", "tie", left="b"),  # not decisive
        Comparison("A", "B", "a"),  # sides unknown (judged from code)
    ]
    bias = position_bias(comps)
    assert (bias.decisive, bias.left_wins, bias.rate) == (4, 3, 0.75)
    assert bias.ci_low < 0.75 < bias.ci_high
    assert "3 of 4" in str(bias)
    assert math.isnan(position_bias([]).rate)


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="winner must be one of"):
        Comparison("A", "B", "left")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'Q'"):
        rank(["A", "B"], [Comparison("A", "Q", "a")])


def _two_item_interval(wins: int, losses: int) -> tuple[float, float]:
    """The interval of the difference A - B after ``wins``/``losses`` of A against B."""
    board = rank(
        ["A", "B"], [*_many("A", "B", "a", wins), *_many("A", "B", "b", losses)]
    ).set_index("variant")
    return 2 * board.loc["A", "ci_low"], 2 * board.loc["A", "ci_high"]


@pytest.mark.parametrize("judgements", [3, 10, 30])
def test_two_variants_interval_covers_the_true_difference(judgements: int) -> None:
    """Exact coverage over every judgement set of ``judgements`` (each outcome weighted by its
    binomial chance), for true differences from none to large: at least 90 %, unanimous
    outcomes included."""
    intervals = [_two_item_interval(w, judgements - w) for w in range(judgements + 1)]
    for true in (0.0, 0.5, 1.0, 2.0, 3.0, 4.0):
        p = 1 / (1 + math.exp(-true))
        chance = [
            math.comb(judgements, w) * p**w * (1 - p) ** (judgements - w)
            for w in range(judgements + 1)
        ]
        pairs = zip(chance, intervals, strict=True)
        covered = sum(c for c, (low, high) in pairs if low <= true <= high)
        assert covered >= 0.90, (judgements, true, covered, intervals)
    # unanimous: never zero-width, and 3 of 3 does not tell two variants apart
    low, high = intervals[judgements]
    assert high - low > 1.0
    assert low < 0 if judgements == 3 else low > 0


def test_unanimous_intervals_match_the_exact_posterior() -> None:
    # two variants, the default prior (Jeffreys'): the win chance is Beta(w + 0.5, l + 0.5)
    for wins in (3, 24):
        low, high = _two_item_interval(wins, 0)
        exact_low, exact_high = stats.beta(wins + 0.5, 0.5).ppf([0.025, 0.975])
        assert low == pytest.approx(math.log(exact_low / (1 - exact_low)), abs=0.1)
        assert high == pytest.approx(math.log(exact_high / (1 - exact_high)), rel=0.1)
    assert _two_item_interval(3, 0)[0] < 0 < _two_item_interval(24, 0)[0]


def test_simulated_three_variants_intervals_cover_the_true_scores() -> None:
    """Judgement sets drawn from known strengths (1, 0, -1): each variant's 95 % interval covers
    its true centred score in at least 90 % of the sets, at 3, 10 and 30 judgements."""
    for n in (3, 10, 30):
        covered = total = 0
        for seed in range(60):
            board = rank(["A", "B", "C"], _simulated(n, 1000 + seed), seed=seed)
            for _, row in board.iterrows():
                if row["judgements"]:
                    true = {"A": 1.0, "B": 0.0, "C": -1.0}[row["variant"]]
                    covered += row["ci_low"] <= true <= row["ci_high"]
                    total += 1
        assert covered / total >= 0.90, (n, covered, total)


def test_no_prior_with_a_variant_that_only_won_says_what_to_do() -> None:
    with pytest.raises(ValueError, match="use prior > 0"):
        fit_scores(["A", "B"], _many("A", "B", "a", 3), prior=0.0)
