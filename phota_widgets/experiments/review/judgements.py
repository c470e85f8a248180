"""Judgements and ratings of a sweep's outputs: who judges, what is recorded, the table columns.

What ``SweepResult.judge()/rate()`` do. Judgements and ratings are rows in the run store
(``RunStore.add_judgement``/``set_rating``), written at once, so they survive a restart and are
shared by everyone using the same store.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from phota_widgets.experiments.review.change_maps import changed_fraction_of
from phota_widgets.experiments.review.criteria import same_criterion, same_names
from phota_widgets.experiments.review.pairs import group_of
from phota_widgets.experiments.review.ranking import WINNERS, Winner
from phota_widgets.store import JudgementRecord, RatingRecord
from phota_widgets.store.config import JUDGE_ENV
from phota_widgets.store.config import default_judge as store_default_judge

if TYPE_CHECKING:
    import pandas

    from phota_widgets.experiments.sweeps.result import SweepResult

__all__ = [
    "add_review_columns",
    "default_judge",
    "judge",
    "judge_pair",
    "judgements",
    "login_judge_warning",
    "parse_side",
    "parse_winner",
    "rate",
    "ratings",
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


def judgements(
    result: SweepResult,
    judge: str | None = None,
    criterion: str | None = None,
    *,
    every_criterion: bool = False,
) -> list[JudgementRecord]:
    """Every judgement (or one ``judge``'s) between two outputs of this sweep, oldest first:
    the overall ones, or those by ``criterion``, or (``every_criterion``) all of them."""
    if criterion is not None and not every_criterion:
        criterion = same_criterion(result, criterion)
    ids = (o.output_id for o in result.outputs())
    store = result.session.store
    return store.judgements(ids, judge=judge, criterion=criterion, every_criterion=every_criterion)


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
    criterion: str | None = None,
) -> JudgementRecord:
    """Record one judgement between two outputs of the sweep (committed at once).

    ``once``: refuse (``AlreadyJudgedError``) a pair this judge has already judged (by this
    ``criterion``), checked in the store at the moment of judging (what the review panel does).
    ``criterion``: what the pair is judged by (None: overall), spaces trimmed and a criterion
    already judged on the sweep matched regardless of case (its stored spelling kept).

    Raises:
        KeyError: an output is not in this sweep.
        ValueError: a bad winner or criterion, or two outputs of different prompts or inputs.
    """
    criterion = same_criterion(result, criterion)
    _refuse_other_prompts(result, output_a, output_b)
    return result.session.store.add_judgement(
        output_a,
        output_b,
        winner,
        judge=judge or default_judge(),
        shown_left=shown_left,
        sweep_id=result.sweep_id,
        once=once,
        criterion=criterion,
    )


def judge_pair(
    result: SweepResult,
    output_a: str,
    output_b: str,
    winners: Mapping[str | None, str],
    judge: str,
    *,
    shown_left: Literal["a", "b"] | None = None,
    once: bool = False,
) -> list[JudgementRecord]:
    """Record one pair's judgements, one per criterion (None: overall), in one transaction:
    all or none (``once``: none when the judge has judged the pair by any of them already,
    ``AlreadyJudgedError`` naming those).

    Raises:
        KeyError: an output is not in this sweep.
        ValueError: a bad winner or criterion, or two outputs of different prompts or inputs.
    """
    named = dict(zip(same_names(result, list(winners)), winners.values(), strict=True))
    _refuse_other_prompts(result, output_a, output_b)
    return result.session.store.add_judgements(
        output_a, output_b, named, judge=judge, shown_left=shown_left,
        sweep_id=result.sweep_id, once=once,
    )  # fmt: skip


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


def parse_winner(value: str) -> Winner:
    """A stored judgement's winner, checked."""
    for known in WINNERS:
        if value == known:
            return known
    raise ValueError(f"a stored judgement has an unknown winner {value!r}")


def parse_side(value: str | None) -> Literal["a", "b"] | None:
    """A stored judgement's left side (``a``, ``b``, or None when not recorded)."""
    if value == "a":
        return "a"
    return "b" if value == "b" else None


def _refuse_other_prompts(result: SweepResult, output_a: str, output_b: str) -> None:
    """Raise ValueError unless both outputs answer the same filled prompt and input (KeyError:
    an output is not in this sweep)."""
    if group_of(result.output(output_a)) != group_of(result.output(output_b)):
        raise ValueError(
            f"{output_a} and {output_b} answer different prompts or inputs: judge outputs of "
            "the same filled prompt and input"
        )
