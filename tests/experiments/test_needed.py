"""How many more judgements: estimated by simulation from the current fit."""

from __future__ import annotations

import time

import numpy as np

import phota_widgets as pw
from phota_widgets.experiments.review.needed import judgements_needed
from phota_widgets.experiments.review.ranking import Comparison, rank

ITEMS = ["strong", "middle", "weak"]
STRENGTH = {"strong": 1.2, "middle": 0.0, "weak": -0.6}


def _judgements(n: int, seed: int, strength: dict[str, float] = STRENGTH) -> list[Comparison]:
    rng = np.random.default_rng(seed)
    pairs = [(a, b) for i, a in enumerate(ITEMS) for b in ITEMS[i + 1 :]]
    found = []
    for k in range(n):
        a, b = pairs[k % len(pairs)]
        p_a = 1 / (1 + np.exp(strength[b] - strength[a]))
        found.append(Comparison(a, b, "a" if rng.random() < p_a else "b"))
    return found


def test_a_clear_leader_needs_a_finite_number_that_then_tells_them_apart() -> None:
    few = _judgements(12, seed=1)
    board = rank(ITEMS, few, draws=200)
    needed = judgements_needed(board, few)
    assert needed.top is not None and not needed.apart and not needed.beyond
    assert needed.judgements is not None and 10 < needed.judgements < 2000
    assert f"about {needed.judgements:,} more judgements" in str(needed)
    more = _judgements(12 + 2 * needed.judgements, seed=2)
    later = rank(ITEMS, more, draws=200)
    assert later.iloc[0]["ci_low"] > later.iloc[1]["ci_high"]
    assert judgements_needed(later, more).apart
    assert "already told apart" in str(judgements_needed(later, more))


def test_equal_variants_are_beyond_the_cap() -> None:
    equal = dict.fromkeys(ITEMS, 0.0)
    found = _judgements(30, seed=3, strength=equal)
    board = rank(ITEMS, found, draws=100)
    needed = judgements_needed(board, found, cap=300)
    assert needed.beyond or (needed.judgements or 0) > 100


def test_nothing_judged_says_so() -> None:
    board = rank(ITEMS, [], draws=0)
    assert "judge some pairs first" in str(judgements_needed(board, []))


def test_the_estimate_is_quick() -> None:
    few = _judgements(30, seed=4)
    board = rank(ITEMS, few, draws=50)
    start = time.perf_counter()
    judgements_needed(board, few)
    assert time.perf_counter() - start < 3.0


def test_the_leaderboard_carries_it(session: pw.Session) -> None:
    result = session.sweep(
        "generate",
        prompts=["a red house"],
        aspect_ratio=["1:1", "16:9"],
        num_output_images=2,
        progress=False,
    )
    ids = result.to_dataframe().groupby("aspect_ratio")["output_id"].apply(list).to_dict()
    assert "judge some pairs first" in str(result.leaderboard().attrs["needed"])
    for k in range(4):
        result.judge(ids["1:1"][k % 2], ids["16:9"][(k + 1) % 2], winner="a", judge="ana")
    result.judge(ids["1:1"][0], ids["16:9"][0], winner="b", judge="ben")
    needed = result.leaderboard().attrs["needed"]
    assert needed.top == "aspect_ratio=1:1" and needed.runner_up == "aspect_ratio=16:9"
    assert needed.apart or needed.judgements
