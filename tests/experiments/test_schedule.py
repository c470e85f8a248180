"""Pair scheduling: every variant meets every other, spread out, with seeded random sides."""

from __future__ import annotations

import itertools
from collections import Counter

from phota_widgets.experiments.review.pairs import ReviewItem, ReviewPair, schedule_pairs


def _items(groups: int, variants: int, per_variant: int) -> list[ReviewItem]:
    return [
        ReviewItem(f"g{g}v{v}:{k}", (f"prompt {g}", None), f"v{v}")
        for g in range(groups)
        for v in range(variants)
        for k in range(per_variant)
    ]


def test_every_pair_of_variants_is_scheduled_in_every_group_before_repeats() -> None:
    items = _items(groups=2, variants=4, per_variant=2)
    pairs = schedule_pairs(items, seed=1)
    assert all(p.a.group == p.b.group and p.a.variant != p.b.variant for p in pairs)
    variant_pairs = {frozenset((p.a.variant, p.b.variant)) for p in pairs}
    assert variant_pairs == {
        frozenset(c) for c in itertools.combinations(["v0", "v1", "v2", "v3"], 2)
    }
    # 2 groups x 6 variant pairs x 2 rounds
    assert len(pairs) == 24
    first_round = pairs[:12]
    counts = Counter(frozenset((p.a.variant, p.b.variant)) for p in first_round)
    assert set(counts.values()) == {2}  # each variant pair once per group before round 2
    # within the first round, each variant pair shows once before any shows twice
    assert len({frozenset((p.a.variant, p.b.variant)) for p in pairs[:6]}) == 6
    shown = Counter(p.a.output_id for p in pairs) + Counter(p.b.output_id for p in pairs)
    assert set(shown) == {i.output_id for i in items}  # every output is shown


def test_sides_are_random_but_reproducible_with_the_seed() -> None:
    items = _items(groups=3, variants=4, per_variant=3)
    pairs = schedule_pairs(items, seed=5)
    assert pairs == schedule_pairs(items, seed=5)
    assert pairs != schedule_pairs(items, seed=6)
    lefts = Counter(p.left for p in pairs)
    assert lefts["a"] > len(pairs) * 0.3 and lefts["b"] > len(pairs) * 0.3


def test_pairs_already_judged_are_left_out() -> None:
    items = _items(groups=1, variants=3, per_variant=1)
    pairs = schedule_pairs(items, seed=0)
    done = {frozenset((pairs[0].a.output_id, pairs[0].b.output_id))}
    again = schedule_pairs(items, seed=0, done=done)
    assert len(again) == len(pairs) - 1
    assert all(frozenset((p.a.output_id, p.b.output_id)) not in done for p in again)


def test_clicks_map_to_the_output_shown_on_that_side() -> None:
    a, b = ReviewItem("x:0", ("p", None), "v0"), ReviewItem("y:0", ("p", None), "v1")
    left_a, left_b = ReviewPair(a, b, "a"), ReviewPair(a, b, "b")
    assert left_a.shown == (a, b) and left_b.shown == (b, a)
    assert left_a.winner_of("left") == "a" and left_a.winner_of("right") == "b"
    assert left_b.winner_of("left") == "b" and left_b.winner_of("right") == "a"


def test_a_single_variant_or_different_groups_give_no_pairs() -> None:
    one = [ReviewItem(f"x:{k}", ("p", None), "v0") for k in range(3)]
    apart = [ReviewItem("x:0", ("p", None), "v0"), ReviewItem("y:0", ("q", None), "v1")]
    assert schedule_pairs(one, seed=0) == [] and schedule_pairs(apart, seed=0) == []
