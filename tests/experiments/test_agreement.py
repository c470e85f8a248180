"""Agreement between judges: hand-made judgement sets with known kappa, and a real sweep."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

import phota_widgets as pw
from phota_widgets.experiments.review.agreement import (
    Agreement,
    agreement_html,
    cohen_kappa,
    compare_judges,
    oriented_answers,
    table_of,
)
from phota_widgets.store import JudgementRecord


def _records(judge: str, answers: list[str], *, swap: bool = False) -> list[JudgementRecord]:
    """One judgement per pair ``o<k>:0`` vs ``p<k>:0``; ``swap`` stores the outputs reversed."""
    found = []
    for k, winner in enumerate(answers):
        a, b = f"o{k:05d}:0", f"p{k:05d}:0"
        if swap:
            a, b = b, a
            winner = {"a": "b", "b": "a"}.get(winner, winner)
        found.append(JudgementRecord(k, a, b, winner, "a", judge, float(k), "s"))
    return found


def test_textbook_kappa() -> None:
    # 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no: p_o 0.7, p_e 0.5, kappa 0.4.
    first = ["y"] * 25 + ["n"] * 25
    second = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    kappa, low, high = cohen_kappa(first, second)
    assert kappa == pytest.approx(0.4)
    assert low < 0.4 < high and high - low < 0.6


def test_perfect_agreement_even_with_the_outputs_stored_swapped() -> None:
    answers = ["a", "b", "tie", "both_bad", "a", "b"] * 10
    found = oriented_answers(_records("ana", answers) + _records("ben", answers, swap=True))
    row = table_of(found).iloc[0]
    assert (row.pairs, row.agreeing, row.share_agreeing) == (60, 60, 1.0)
    assert row.kappa == pytest.approx(1.0) and row.kappa_high == pytest.approx(1.0)
    assert 0.7 < row.kappa_low < 0.97  # 60 agreeing pairs: near 1, never surely exactly 1


def test_opposite_judges_have_negative_kappa() -> None:
    answers = ["a", "b"] * 30
    opposite = ["b", "a"] * 30
    row = table_of(oriented_answers(_records("ana", answers) + _records("ben", opposite))).iloc[0]
    assert row.agreeing == 0 and row.kappa == pytest.approx(-1.0)


def test_chance_agreement_is_near_zero_and_its_interval_covers_zero() -> None:
    rng = np.random.default_rng(7)
    one = list(rng.choice(["a", "b", "tie"], 2000))
    two = list(rng.choice(["a", "b", "tie"], 2000))
    kappa, low, high = cohen_kappa(one, two)
    assert abs(kappa) < 0.05 and low < 0 < high


def test_the_interval_matches_a_bootstrap() -> None:
    rng = np.random.default_rng(3)
    one = rng.choice(4, 600)
    two = np.where(rng.random(600) < 0.6, one, rng.choice(4, 600))
    kappa, low, high = cohen_kappa(list(one), list(two))
    draws = []
    for _ in range(400):
        pick = rng.integers(0, 600, 600)
        draws.append(cohen_kappa(list(one[pick]), list(two[pick]))[0])
    assert (high - low) / 2 / 1.96 == pytest.approx(float(np.std(draws)), rel=0.15)
    assert low < kappa < high


def test_one_answer_throughout_has_no_kappa_but_a_share() -> None:
    found = oriented_answers(_records("ana", ["a"] * 5) + _records("ben", ["a"] * 5))
    row = table_of(found).iloc[0]
    assert row.share_agreeing == 1.0 and math.isnan(row.kappa)


def test_the_interval_is_honest_on_small_and_lopsided_sets() -> None:
    """Never zero wide (the large-sample formula gave "0.00 to 0.00" to a judge who gave one
    answer throughout), wide at three pairs, seeded, and always holding the estimate."""
    sets = {
        "perfect": (list("ab" * 30), list("ab" * 30)),
        "opposite": (list("ab" * 30), list("ba" * 30)),
        "one answer throughout": (list("a" * 20), list("ab" * 10)),
        "three pairs": (list("abt"), list("abt")),
        "three pairs, one differing": (list("abt"), list("abb")),
    }
    found = {name: cohen_kappa(*pair) for name, pair in sets.items()}
    for name, (kappa, low, high) in found.items():
        assert -1.0 <= low <= kappa <= high <= 1.0, name
        assert high - low > 0.1, f"{name}: {low:.2f} to {high:.2f}"
    assert found["one answer throughout"][0] == 0.0
    assert found["one answer throughout"][1] < 0 < found["one answer throughout"][2]
    assert found["three pairs"][1] < 0.3  # 3 of 3 agreeing tells little
    assert found["opposite"][0] == -1.0 and found["opposite"][2] < -0.7
    assert cohen_kappa(*sets["three pairs"]) == found["three pairs"]  # seeded
    assert cohen_kappa(*sets["three pairs"], seed=1) != found["three pairs"]
    said = str(_agreement(list("a" * 20), list("ab" * 10)))
    assert "0.00 to 0.00" not in said and "kappa 0.00 (95% -0." in said


def _agreement(first: list[str], second: list[str]) -> Agreement:
    found = oriented_answers(_records("ana", first) + _records("ben", second))
    return compare_judges("ana", "ben", found)


def test_the_latest_judgement_of_a_pair_counts() -> None:
    early = _records("ana", ["a", "a"])
    late = [JudgementRecord(9, "o00000:0", "p00000:0", "b", None, "ana", 99.0, "s")]
    found = oriented_answers(early + late + _records("ben", ["b", "a"]))
    assert table_of(found).iloc[0].agreeing == 2


def test_ten_thousand_judgements_under_200_ms() -> None:
    rng = np.random.default_rng(1)
    winners = ["a", "b", "tie", "both_bad"]
    ana = [winners[i] for i in rng.integers(0, 4, 5000)]
    ben = [w if rng.random() < 0.7 else winners[int(rng.integers(0, 4))] for w in ana]
    records = _records("ana", ana) + _records("ben", ben)
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        table = table_of(oriented_answers(records))
        best = min(best, time.perf_counter() - start)
    assert table.iloc[0].pairs == 5000
    assert best < 0.2, f"agreement over 10,000 judgements took {best * 1000:.0f} ms"


def test_agreement_of_a_real_sweep(session: pw.Session) -> None:
    result = session.sweep(
        "generate",
        prompts=["a red house"],
        aspect_ratio=["1:1", "16:9", "4:3"],
        num_output_images=2,
        progress=False,
    )
    ids = result.to_dataframe().groupby("aspect_ratio")["output_id"].apply(list).to_dict()
    square, wide, four = ids["1:1"], ids["16:9"], ids["4:3"]
    pairs = [(square[0], wide[0]), (square[1], wide[1]), (wide[0], four[0]), (square[0], four[1])]
    for (a, b), mine, theirs in zip(
        pairs, ["a", "a", "b", "tie"], ["a", "b", "b", "tie"], strict=True
    ):
        result.judge(a, b, winner=mine, judge="ana")
        result.judge(b, a, winner={"a": "b", "b": "a"}.get(theirs, theirs), judge="ben")
    result.judge(square[0], wide[0], winner="a", judge="chloe")
    both = result.agreement("ana", "ben")
    assert (both.pairs, both.agreeing) == (4, 3)
    assert list(both.disagreements[["output_1", "output_2"]].iloc[0]) == sorted(pairs[1])
    assert "agree on 3 of 4 pairs" in str(both)
    table = result.agreement()
    assert list(zip(table.judge_a, table.judge_b, table.pairs, strict=True)) == [
        ("ana", "ben", 4), ("ana", "chloe", 1), ("ben", "chloe", 1),
    ]  # fmt: skip
    assert 'class="phota-agreement"' in agreement_html(result)
    with pytest.raises(ValueError, match="'dora' has judged no pair of this sweep"):
        result.agreement("ana", "dora")
    with pytest.raises(ValueError, match="name two judges"):
        result.agreement("ana")
