"""Bradley-Terry leaderboard: a hand-computed case, ties, intervals and position bias."""

from __future__ import annotations

import math

import numpy as np
import pytest

from phota_widgets.experiments.ranking import Comparison, fit_scores, position_bias, rank


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

    board = rank(["C", "B", "A"], HAND, prior=0.0, n_boot=200, seed=1)
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
    board = rank(["A", "B", "C"], _many("A", "B", "tie", 2), n_boot=0)
    row = board.set_index("variant").loc["A"]
    assert (row["wins"], row["losses"], row["ties"], row["win_rate"]) == (0, 0, 2, 0.5)


def test_a_variant_that_always_wins_gets_a_finite_score_and_unjudged_ones_nan() -> None:
    board = rank(["A", "B", "Z"], _many("A", "B", "a", 5), n_boot=50).set_index("variant")
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


def test_no_prior_with_a_variant_that_only_won_says_what_to_do() -> None:
    with pytest.raises(ValueError, match="use prior > 0"):
        fit_scores(["A", "B"], _many("A", "B", "a", 3), prior=0.0)
