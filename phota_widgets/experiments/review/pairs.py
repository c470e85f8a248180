"""Pairs to review: a sweep's outputs as review items and the schedule of pairs shown.

Pairs: two outputs of the same filled prompt (the prompt as sent, ``{var}`` values in) and the
same input image(s), from different variants: an owl is never judged against a fox. Every pair
of variants is scheduled within each prompt/input group, before any pair of variants comes round
again, so every variant meets every other (not only its neighbours); sides are drawn at random
from a seed and recorded with the judgement.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from phota_widgets.experiments.review.ranking import Winner

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.cells import SweepOutput
    from phota_widgets.experiments.sweeps.result import SweepResult

__all__ = ["ReviewItem", "ReviewPair", "group_of", "review_items", "schedule_pairs"]


@dataclass(frozen=True)
class ReviewItem:
    """An output as the scheduler sees it: its id, its prompt/input group and its variant."""

    output_id: str
    group: tuple[str | None, str | None]
    variant: str


@dataclass(frozen=True)
class ReviewPair:
    """Two outputs to judge; ``left`` says which of ``a``/``b`` is shown on the left."""

    a: ReviewItem
    b: ReviewItem
    left: Literal["a", "b"]

    @property
    def shown(self) -> tuple[ReviewItem, ReviewItem]:
        """The (left, right) items."""
        return (self.a, self.b) if self.left == "a" else (self.b, self.a)

    def winner_of(self, side: Literal["left", "right"]) -> Winner:
        """The ``a``/``b`` winner meant by a click on a side."""
        return self.left if side == "left" else ("b" if self.left == "a" else "a")


def schedule_pairs(
    items: Sequence[ReviewItem],
    *,
    seed: int | None = None,
    done: Iterable[frozenset[str]] = (),
) -> list[ReviewPair]:
    """Every pair of variants within each prompt/input group, spread out, with random sides.

    Within a group, variants ``v`` and ``w`` are compared in rounds: round ``k`` pairs the
    ``k``-th output of each (cycling through the shorter list), so each output is shown. Round
    0 of every variant pair comes before any round 1, and inside a round each pair of variants
    appears once before any appears twice, in seeded random order.

    Args:
        items: the outputs that may be shown.
        seed: the seed of the order and the sides (None: a fresh one).
        done: pairs (sets of two output ids) already judged, left out.
    """
    rng = random.Random(seed)
    skip = set(done)
    groups: dict[tuple[str | None, str | None], dict[str, list[ReviewItem]]] = {}
    for item in items:
        groups.setdefault(item.group, {}).setdefault(item.variant, []).append(item)
    keyed: list[tuple[int, int, float, ReviewItem, ReviewItem]] = []
    seen: dict[tuple[int, frozenset[str]], int] = defaultdict(int)
    for by_variant in groups.values():
        for (v, first), (w, second) in itertools.combinations(by_variant.items(), 2):
            for k in range(max(len(first), len(second))):
                a, b = first[k % len(first)], second[k % len(second)]
                if frozenset((a.output_id, b.output_id)) in skip:
                    continue
                turn = seen[(k, frozenset((v, w)))]
                seen[(k, frozenset((v, w)))] += 1
                keyed.append((k, turn, rng.random(), a, b))
    keyed.sort(key=lambda entry: entry[:3])
    return [ReviewPair(a, b, rng.choice(("a", "b"))) for *_, a, b in keyed]


def review_items(result: SweepResult) -> list[ReviewItem]:
    """The sweep's outputs as review items (grouped by filled prompt and input)."""
    return [ReviewItem(o.output_id, group_of(o), o.cell.info.variant) for o in result.outputs()]


def group_of(output: SweepOutput) -> tuple[str | None, str | None]:
    """What two outputs must share to be compared: the filled prompt and the input."""
    return (output.cell.info.prompt, output.cell.info.input)
