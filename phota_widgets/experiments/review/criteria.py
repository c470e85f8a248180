"""Criteria: a pair judged by several things at once, one winner per criterion.

``res.review(criteria=["prompt adherence", "realism", "likeness"])`` asks, for each pair, which
side is better by each criterion; each answer is its own judgement row in the store (its
``criterion`` set; overall judgements have none). Criteria are checked before anything is
recorded: named, distinct, and few enough that each gets a key of its own in the keyboard panel
(a letter, its first free one, that jumps to it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.result import SweepResult
    from phota_widgets.store import JudgementRecord

__all__ = [
    "MAX_CRITERIA",
    "MODEL_JUDGE_PREFIX",
    "check_criteria",
    "criteria_judged",
    "criterion_keys",
    "no_overall",
    "pairs_done",
    "same_criteria",
    "same_criterion",
    "same_names",
]

MAX_CRITERIA = 8
"""The most criteria one review asks (each needs a key, and a row of buttons, of its own)."""
_TAKEN = set("n0123456789")
"""Keys the panel uses already (``n`` next, the digits answer and skip)."""


def check_criteria(criteria: Sequence[str] | None) -> list[str]:
    """The criteria a review asks, checked (none: an overall judgement per pair).

    Raises:
        ValueError: a criterion that is not text or is empty, one given twice (case and
            spaces aside), or more than :data:`MAX_CRITERIA`.
    """
    if criteria is None:
        return []
    if isinstance(criteria, str):
        raise ValueError(f"give criteria as a list (criteria=[{criteria!r}]), not one string")
    names = []
    for value in criteria:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"each criterion is a name such as 'realism', got {value!r}")
        names.append(" ".join(value.split()))
    if not names:
        raise ValueError("criteria=[] asks nothing: name at least one, or leave criteria out")
    seen: dict[str, str] = {}
    for name in names:
        if name.casefold() in seen:
            raise ValueError(f"criterion {name!r} is given twice (criteria: {names})")
        seen[name.casefold()] = name
    if len(names) > MAX_CRITERIA:
        raise ValueError(
            f"{len(names)} criteria is too many for one review (at most {MAX_CRITERIA}, each "
            "with its own key and row of buttons): split them over two reviews"
        )
    return names


def criterion_keys(criteria: Sequence[str]) -> dict[str, str]:
    """A letter per criterion (its first letter not taken yet, else the first free one), the
    key that makes it the active criterion in the keyboard panel."""
    taken = set(_TAKEN)
    keys: dict[str, str] = {}
    for name in criteria:
        own = [c for c in name.casefold() if "a" <= c <= "z" and c not in taken]
        spare = [c for c in "abcdefghijklmopqrstuvwxyz" if c not in taken]
        key = (own or spare)[0]
        taken.add(key)
        keys[name] = key
    return keys


def criteria_judged(result: SweepResult, judge: str | None = None) -> list[str]:
    """The criteria this sweep's pairs were judged by (everyone's, or one judge's), in the
    order first judged."""
    ids = (o.output_id for o in result.outputs())
    found = result.session.store.judgements(ids, judge=judge, every_criterion=True)
    return list(dict.fromkeys(j.criterion for j in found if j.criterion is not None))


def same_criterion(result: SweepResult, criterion: str | None) -> str | None:
    """``criterion`` in the one form every write and read uses: spaces trimmed (and runs of
    them made one), and a criterion already judged on this sweep matched regardless of case,
    its stored spelling reused (None stays None: overall).

    Raises:
        ValueError: not text, or empty.
    """
    return same_names(result, [criterion])[0]


def same_names(result: SweepResult, names: Sequence[str | None]) -> list[str | None]:
    """Each name as :func:`same_criterion` gives it, the sweep's criteria read once."""
    if all(name is None for name in names):
        return list(names)
    stored = _stored_spellings(result)
    return [None if name is None else _spelled(name, stored) for name in names]


def same_criteria(result: SweepResult, criteria: Sequence[str] | None) -> list[str]:
    """:func:`check_criteria`, then each name in its stored spelling (see
    :func:`same_criterion`)."""
    names = check_criteria(criteria)
    if not names:
        return names
    stored = _stored_spellings(result)
    return [stored.get(name.casefold(), name) for name in names]


def _stored_spellings(result: SweepResult) -> dict[str, str]:
    """Each criterion judged on the sweep by its case-folded name (the first spelling judged)."""
    return {name.casefold(): name for name in reversed(criteria_judged(result))}


def _spelled(name: str, stored: dict[str, str]) -> str:
    [checked] = check_criteria([name])
    return stored.get(checked.casefold(), checked)


MODEL_JUDGE_PREFIX = "model:"
"""How a model judge's name begins (``model:<name>``)."""


def pairs_done(found: Iterable[JudgementRecord], criteria: Sequence[str]) -> set[frozenset[str]]:
    """Pairs (sets of two output ids) a judge among ``found``'s has finished: judged overall
    (no criteria), or by every criterion asked (one judge alone, not several together)."""
    by_pair: dict[tuple[str, frozenset[str]], set[str | None]] = {}
    for j in found:
        key = (j.judge, frozenset((j.output_a, j.output_b)))
        by_pair.setdefault(key, set()).add(j.criterion)
    wanted: set[str | None] = set(criteria) if criteria else {None}
    return {pair for (_, pair), seen in by_pair.items() if wanted <= seen}


def no_overall(what: str, judged: Sequence[str], judge: str | None = None) -> ValueError:
    """The error for asking overall judgements of a sweep (or of one ``judge``) judged only
    by criteria."""
    named = ", ".join(repr(c) for c in judged)
    who = "this sweep was judged" if judge is None else f"{judge!r} judged this sweep"
    return ValueError(
        f"{who} by criteria only ({named}), with no overall judgement: "
        f"ask {what}(criterion={judged[0]!r}) (criteria: {named})"
    )
