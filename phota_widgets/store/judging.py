"""Judgements (pairwise) and ratings (stars) of outputs, each kept with the judge who made it."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, case, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from phota_widgets.redact import redact
from phota_widgets.store.failures import ride_out
from phota_widgets.store.records import JudgementRecord, RatingRecord
from phota_widgets.store.schema import judgements, ratings
from phota_widgets.store.table_part import TablePart

WINNERS = ("a", "b", "tie", "both_bad")
_CHUNK = 500


class AlreadyJudgedError(ValueError):
    """This judge has already judged this pair (in another panel, process or machine).

    Attributes:
        criteria: the criteria it was judged by already (None: overall).
    """

    def __init__(self, message: str, criteria: Sequence[str | None] = (None,)) -> None:
        super().__init__(message)
        self.criteria = list(criteria)


@ride_out
class Judging(TablePart):
    """Judgements and ratings in the run store's index."""

    def add_judgement(
        self,
        output_a: str,
        output_b: str,
        winner: str,
        *,
        judge: str,
        shown_left: str | None = None,
        sweep_id: str | None = None,
        once: bool = False,
        criterion: str | None = None,
    ) -> JudgementRecord:
        """Record (and commit at once) one pairwise judgement.

        Args:
            once: refuse a pair this judge has already judged (either way round) by this
                criterion, checked in the same transaction as the insert, so two panels (or
                processes) of one judge never record the same pair twice.
            criterion: what the pair is judged by (None: overall).

        Raises:
            AlreadyJudgedError: ``once`` and the judge has judged this pair already.
            ValueError: a bad winner or side, the same output twice, an empty judge name or
                an empty criterion.
        """
        [record] = self.add_judgements(
            output_a, output_b, {criterion: winner}, judge=judge, shown_left=shown_left,
            sweep_id=sweep_id, once=once,
        )  # fmt: skip
        return record

    def add_judgements(
        self,
        output_a: str,
        output_b: str,
        winners: Mapping[str | None, str],
        *,
        judge: str,
        shown_left: str | None = None,
        sweep_id: str | None = None,
        once: bool = False,
    ) -> list[JudgementRecord]:
        """Record one pair's judgements, one per criterion (``winners``: criterion, None for
        overall, to winner), all in one transaction: all are recorded or none.

        Args:
            once: refuse the whole set when this judge has already judged the pair by any of
                these criteria (checked in the same transaction as the inserts).

        Raises:
            AlreadyJudgedError: ``once`` and some criteria were judged already (all of them
                named in its ``criteria``); nothing is recorded.
            ValueError: no winners, a bad winner or side, the same output twice, an empty
                judge name or an empty criterion.
        """
        if not winners:
            raise ValueError("no judgement to record (winners is empty)")
        winners = {_spaced(c): w for c, w in winners.items()}
        for criterion, winner in winners.items():
            _check(output_a, output_b, winner, shown_left, judge, criterion)
        now = time.time()
        records = []
        with self._writer.begin() as conn:
            if once:
                _refuse_judged_pair(conn, judge, output_a, output_b, list(winners))
            for criterion, winner in winners.items():
                values: dict[str, Any] = {
                    "output_a": output_a, "output_b": output_b, "winner": winner,
                    "shown_left": shown_left, "judge": judge, "created_at": now,
                    "sweep_id": sweep_id, "criterion": criterion,
                }  # fmt: skip
                new_id = conn.execute(
                    insert(judgements).values(**values).returning(judgements.c.judgement_id)
                ).scalar_one()
                records.append(JudgementRecord(int(new_id), **values))
        return records

    def judgements(
        self,
        output_ids: Iterable[str],
        *,
        judge: str | None = None,
        criterion: str | None = None,
        every_criterion: bool = False,
    ) -> list[JudgementRecord]:
        """The judgements between outputs that are both among ``output_ids``, oldest first.

        Args:
            output_ids: the outputs of interest.
            judge: only this judge's (default: everyone's).
            criterion: only those by this criterion (default None: the overall ones).
            every_criterion: the overall ones and those of every criterion (``criterion``
                is then ignored).
        """
        wanted = set(output_ids)
        stmt = select(*judgements.c)
        criterion = _spaced(criterion)
        if not every_criterion:
            by = judgements.c.criterion
            stmt = stmt.where(by.is_(None) if criterion is None else by == criterion)
        rows = self._rows_for(stmt, judgements.c.output_a, wanted, judgements.c.judge, judge)
        found = [JudgementRecord(*row) for row in rows if row[2] in wanted]
        return sorted(found, key=lambda j: j.judgement_id)

    def set_rating(
        self, output_id: str, stars: int, note: str | None = None, *, judge: str
    ) -> RatingRecord:
        """Record one judge's stars for an output (replacing that judge's earlier stars).

        A note of None keeps the judge's earlier note; an empty note clears it.

        Raises:
            ValueError: stars not a whole number from 1 to 5, or an empty judge name.
        """
        if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
            raise ValueError(f"stars must be a whole number from 1 to 5, got {stars!r}")
        if not judge.strip():
            raise ValueError("the judge's name is empty")
        now = time.time()
        with self._writer.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            new = dialect.insert(ratings).values(
                output_id=output_id, judge=judge, stars=stars, note=redact(note), created_at=now
            )
            kept = case(
                (new.excluded.note.is_(None), ratings.c.note),
                else_=func.nullif(new.excluded.note, ""),
            )
            conn.execute(
                new.on_conflict_do_update(
                    index_elements=[ratings.c.output_id, ratings.c.judge],
                    set_={
                        "stars": new.excluded.stars,
                        "note": kept,
                        "created_at": new.excluded.created_at,
                    },
                )
            )
            stored = conn.execute(
                select(ratings.c.note).where(
                    ratings.c.output_id == output_id, ratings.c.judge == judge
                )
            ).scalar_one()
        return RatingRecord(output_id, judge, stars, stored or None, now)

    def ratings(self, output_ids: Iterable[str], *, judge: str | None = None) -> list[RatingRecord]:
        """Every judge's (or one ``judge``'s) rating of these outputs, oldest first."""
        stmt = select(
            ratings.c.output_id,
            ratings.c.judge,
            ratings.c.stars,
            func.nullif(ratings.c.note, ""),
            ratings.c.created_at,
        )
        rows = self._rows_for(stmt, ratings.c.output_id, set(output_ids), ratings.c.judge, judge)
        return sorted((RatingRecord(*row) for row in rows), key=lambda r: r.created_at)

    def judges(self) -> list[str]:
        """Everyone who has judged or rated in this store, sorted."""
        both = select(judgements.c.judge).union(select(ratings.c.judge)).subquery()
        with self._reader.connect() as conn:
            return sorted(str(j) for j in conn.execute(select(both.c.judge)).scalars())

    def _rows_for(
        self, stmt: Any, key: Any, keys: set[str], judge_column: Any, judge: str | None
    ) -> list[tuple[Any, ...]]:
        ordered = sorted(keys)
        rows: list[tuple[Any, ...]] = []
        if judge is not None:
            stmt = stmt.where(judge_column == judge)
        with self._reader.connect() as conn:
            for start in range(0, len(ordered), _CHUNK):
                chunk = ordered[start : start + _CHUNK]
                rows += [tuple(r) for r in conn.execute(stmt.where(key.in_(chunk)))]
        return rows


def _spaced(criterion: str | None) -> str | None:
    """A criterion's name with its spaces trimmed (runs of them made one), as stored."""
    return None if criterion is None else " ".join(criterion.split()) or criterion


def _check(
    output_a: str,
    output_b: str,
    winner: str,
    shown_left: str | None,
    judge: str,
    criterion: str | None,
) -> None:
    """Refuse a judgement the store does not keep (ValueError, in words)."""
    if winner not in WINNERS:
        raise ValueError(f"winner must be one of {list(WINNERS)}, got {winner!r}")
    if shown_left not in (None, "a", "b"):
        raise ValueError(f"shown_left must be 'a', 'b' or None, got {shown_left!r}")
    if output_a == output_b:
        raise ValueError(f"an output cannot be judged against itself ({output_a!r})")
    if not judge.strip():
        raise ValueError("the judge's name is empty")
    if criterion is not None and not criterion.strip():
        raise ValueError("the criterion is empty (None for an overall judgement)")


def _refuse_judged_pair(
    conn: Connection, judge: str, output_a: str, output_b: str, criteria: list[str | None]
) -> None:
    """Raise AlreadyJudgedError when ``judge`` has judged the pair by any of ``criteria``
    (SQLite: the write transaction began IMMEDIATE, so writers take turns; PostgreSQL: an
    advisory lock on the judge and pair, held until the transaction ends)."""
    if conn.dialect.name == "postgresql":
        first, second = sorted((output_a, output_b))
        key = f"phota-judgement\n{judge}\n{first}\n{second}"
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
    c = judgements.c
    named = [k for k in criteria if k is not None]
    by = or_(
        *([c.criterion.is_(None)] if None in criteria else []),
        *([c.criterion.in_(named)] if named else []),
    )
    found = conn.execute(
        select(c.criterion)
        .where(
            c.judge == judge,
            by,
            or_(
                and_(c.output_a == output_a, c.output_b == output_b),
                and_(c.output_a == output_b, c.output_b == output_a),
            ),
        )
        .distinct()
    ).scalars()
    judged = set(found)
    if judged:
        refused = [k for k in criteria if k in judged]
        by_words = "" if refused == [None] else f" by {', '.join(repr(k) for k in refused if k)}"
        raise AlreadyJudgedError(
            f"{judge!r} has already judged {output_a} against {output_b}{by_words} (in another "
            "panel or session): not recorded twice",
            refused,
        )
