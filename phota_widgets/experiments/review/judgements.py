"""Blind pairwise review of a sweep: pair scheduling, judgements, ratings, leaderboard, exports.

What ``SweepResult.review()/judge()/rate()/leaderboard()/export_preferences()`` do. Judgements and
ratings are rows in the run store (``RunStore.add_judgement``/``set_rating``), written at once,
so they survive a restart and are shared by everyone using the same store.

Pairs: two outputs of the same filled prompt (the prompt as sent, ``{var}`` values in) and the
same input image(s), from different variants: an owl is never judged against a fox. Every pair
of variants is scheduled within each prompt/input group, before any pair of variants comes round
again, so every variant meets every other (not only its neighbours); sides are drawn at random
from a seed and recorded with the judgement.
"""

from __future__ import annotations

import itertools
import os
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from phota_widgets.experiments.review.change_maps import (
    CHANGE_ENDPOINTS,
    change_picture,
    change_sources,
    changed_fraction_of,
    find_output,
    input_path,
)
from phota_widgets.experiments.review.ranking import (
    DRAWS,
    LEADERBOARD_COLUMNS,
    WINNERS,
    Comparison,
    PositionBias,
    Winner,
    position_bias,
    rank,
)
from phota_widgets.store import JudgementRecord, RatingRecord
from phota_widgets.store.config import JUDGE_ENV
from phota_widgets.store.config import default_judge as store_default_judge

if TYPE_CHECKING:
    import pandas

    from phota_widgets.experiments.sweeps.result import SweepOutput, SweepResult

__all__ = [
    "CHANGE_ENDPOINTS",
    "ReviewItem",
    "ReviewPair",
    "change_picture",
    "change_sources",
    "changed_fraction_of",
    "default_judge",
    "find_output",
    "input_path",
    "judge",
    "judgement_counts",
    "leaderboard",
    "rate",
    "schedule_pairs",
]


def default_judge() -> str:
    """The name judgements are recorded under when none is given: ``PHOTA_JUDGE``, else the
    OS user (one definition for picks, ratings and judgements: the store's)."""
    return store_default_judge()


def login_judge_warning(judge: str | None) -> str | None:
    """What to tell a judge who gave no name and has no ``PHOTA_JUDGE``: the OS login is the
    same for every user of a shared image (Binder, a container, a team server). None otherwise."""
    if judge or os.environ.get(JUDGE_ENV, "").strip():
        return None
    return (
        f"Judging as {default_judge()!r}, the OS login: on a shared image every user has the "
        f"same one, so their judgements would mix. Give judge='your name' or set {JUDGE_ENV}."
    )


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


# -- a sweep's outputs, judgements and ratings ---------------------------------------------------


def review_items(result: SweepResult) -> list[ReviewItem]:
    """The sweep's outputs as review items (grouped by filled prompt and input)."""
    return [ReviewItem(o.output_id, _group(o), o.cell.info.variant) for o in result.outputs()]


def judgements(result: SweepResult, judge: str | None = None) -> list[JudgementRecord]:
    """Every judgement (or one ``judge``'s) between two outputs of this sweep, oldest first."""
    return result.session.store.judgements((o.output_id for o in result.outputs()), judge=judge)


def ratings(result: SweepResult, judge: str | None = None) -> list[RatingRecord]:
    """Every rating (or one ``judge``'s) of an output of this sweep, oldest first."""
    return result.session.store.ratings((o.output_id for o in result.outputs()), judge=judge)


def judge(
    result: SweepResult,
    output_a: str,
    output_b: str,
    winner: str,
    judge: str | None = None,
    *,
    shown_left: Literal["a", "b"] | None = None,
    once: bool = False,
) -> JudgementRecord:
    """Record one judgement between two outputs of the sweep (committed at once).

    ``once``: refuse (``AlreadyJudgedError``) a pair this judge has already judged, checked in
    the store at the moment of judging (what the review panel does).

    Raises:
        KeyError: an output is not in this sweep.
        ValueError: a bad winner, or two outputs of different prompts or inputs.
    """
    first, second = result.output(output_a), result.output(output_b)
    if _group(first) != _group(second):
        raise ValueError(
            f"{output_a} and {output_b} answer different prompts or inputs: judge outputs of "
            "the same filled prompt and input"
        )
    return result.session.store.add_judgement(
        output_a,
        output_b,
        winner,
        judge=judge or default_judge(),
        shown_left=shown_left,
        sweep_id=result.sweep_id,
        once=once,
    )


def rate(
    result: SweepResult,
    output_id: str,
    stars: int,
    note: str | None = None,
    judge: str | None = None,
) -> RatingRecord:
    """Record 1-5 stars (and a note) for an output of the sweep.

    Raises:
        KeyError: the output is not in this sweep.
        ValueError: stars not a whole number from 1 to 5.
    """
    result.output(output_id)
    return result.session.store.set_rating(output_id, stars, note, judge=judge or default_judge())


def _group(output: SweepOutput) -> tuple[str | None, str | None]:
    """What two outputs must share to be compared: the filled prompt and the input."""
    return (output.cell.info.prompt, output.cell.info.input)


# -- leaderboard -----------------------------------------------------------------------------


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
    result: SweepResult, by: str | None = None, judge: str | None = None
) -> list[Comparison]:
    """The sweep's judgements (everyone's, or one ``judge``'s) between items."""
    item_of = _item_of(result, by)
    found = []
    for j in judgements(result, judge):
        a, b = item_of[j.output_a], item_of[j.output_b]
        if a != b:
            found.append(Comparison(a, b, _winner(j.winner), _side(j.shown_left)))
    return found


def leaderboard(
    result: SweepResult,
    by: str | None = None,
    *,
    seed: int = 0,
    draws: int = DRAWS,
    judge: str | None = None,
) -> pandas.DataFrame:
    """One row per variant (or per value of ``by``), best first; see ``LEADERBOARD_COLUMNS``.

    ``judge`` limits the judgements and ratings to one person's (default: everyone's).

    ``df.attrs["position_bias"]`` holds a :class:`PositionBias` (how often the left side won):
    the judge's, over every judgement of the sweep, the same whatever ``by``.
    """
    import pandas as pd

    item_of = _item_of(result, by)
    if by is None:
        items = result.variants
    else:
        items = list(dict.fromkeys(item_of[o.output_id] for o in result.outputs()))
    comps = comparisons(result, by, judge)
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
    board.attrs["position_bias"] = position_bias_of(result, judge)
    return board


def position_bias_of(result: SweepResult, judge: str | None = None) -> PositionBias:
    """How often the left side won in this sweep's reviews (everyone's, or one ``judge``'s),
    over every judgement with recorded sides, whatever it compared."""
    return position_bias(
        [
            Comparison(j.output_a, j.output_b, _winner(j.winner), _side(j.shown_left))
            for j in judgements(result, judge)
        ]
    )


def judgement_counts(result: SweepResult) -> dict[str, int]:
    """How many judgements: ``total``, each winner (``a``, ``b``, ``tie``, ``both_bad``),
    ``judges`` and ``rated`` (outputs with stars)."""
    found = judgements(result)
    counts = {"total": len(found), "a": 0, "b": 0, "tie": 0, "both_bad": 0}
    for j in found:
        counts[j.winner] += 1
    counts["judges"] = len({j.judge for j in found})
    counts["rated"] = len({r.output_id for r in ratings(result)})
    return counts


# -- table columns -------------------------------------------------------------------------


def add_review_columns(result: SweepResult, frame: pandas.DataFrame) -> pandas.DataFrame:
    """Add ``stars`` (mean over judges), ``note`` (the latest) and ``changed_fraction``."""
    stars: dict[str, list[int]] = defaultdict(list)
    notes: dict[str, str] = {}
    for r in ratings(result):  # oldest first: the latest note wins
        stars[r.output_id].append(r.stars)
        if r.note:
            notes[r.output_id] = r.note
    fractions = {o.output_id: changed_fraction_of(result, o.output_id) for o in result.outputs()}
    ids = frame["output_id"]
    frame["stars"] = [
        sum(stars[i]) / len(stars[i]) if isinstance(i, str) and stars[i] else float("nan")
        for i in ids
    ]
    frame["note"] = [notes.get(i) if isinstance(i, str) else None for i in ids]
    frame["changed_fraction"] = [
        fractions.get(i, float("nan")) if isinstance(i, str) else float("nan") for i in ids
    ]
    return frame


def _winner(value: str) -> Winner:
    for known in WINNERS:
        if value == known:
            return known
    raise ValueError(f"a stored judgement has an unknown winner {value!r}")


def _side(value: str | None) -> Literal["a", "b"] | None:
    if value == "a":
        return "a"
    return "b" if value == "b" else None
