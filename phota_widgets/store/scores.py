"""Scores of outputs (automatic checks and metrics), one row per output, scorer and parameters.

A row's key is the output hash (the image's content hash, mixed with whatever else of the run
the scorer reads), the scorer's name and version, and a hash of its parameters: scoring the
same thing again finds the row and computes nothing; new parameters or a new version compute
anew. ``output_id`` says which output the row was computed for (for reading a sweep's scores).
A row marked ``error`` (the scorer could not judge: a model's unreadable answer, an endpoint
down) shows as a failed check and is replaced when scored again.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from phota_widgets.redact import redact
from phota_widgets.store.schema import scores
from phota_widgets.store.table_part import TablePart

_CHUNK = 400


@dataclass(frozen=True)
class ScoreKey:
    """What identifies a stored score."""

    output_hash: str
    scorer: str
    version: str
    param_hash: str


@dataclass(frozen=True)
class ScoreRecord:
    """One stored score: a value (a metric), a verdict (a check), both, or neither (not scored).

    Attributes:
        key: output hash, scorer name, version and parameter hash.
        output_id: the output (``<run_id>:<index>``) it was computed for.
        value: the number, if the scorer gives one.
        passed: the verdict, if the scorer is a check.
        detail: why, in words.
        tokens: model tokens used (model-graded scores).
        cost: model cost in US dollars (model-graded scores).
        created_at: when it was computed (seconds since the epoch).
        error: the scorer could not judge (counted as failed; scoring again computes it anew).
    """

    key: ScoreKey
    output_id: str
    value: float | None
    passed: bool | None
    detail: str
    tokens: int | None = None
    cost: float | None = None
    created_at: float = 0.0
    error: bool = False


class Scores(TablePart):
    """The ``scores`` table of the run store."""

    def get_many(self, keys: Iterable[ScoreKey]) -> dict[ScoreKey, ScoreRecord]:
        """The stored scores among ``keys`` (missing keys are simply absent)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[ScoreKey, ScoreRecord] = {}
        key_columns = tuple_(
            scores.c.output_hash, scores.c.scorer, scores.c.version, scores.c.param_hash
        )
        with self._reader.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                stmt = select(*scores.c).where(
                    key_columns.in_(
                        [(k.output_hash, k.scorer, k.version, k.param_hash) for k in chunk]
                    )
                )
                for row in conn.execute(stmt):
                    record = _record(tuple(row))
                    found[record.key] = record
        return found

    def for_outputs(self, output_ids: Sequence[str]) -> list[ScoreRecord]:
        """Every score computed for these outputs, oldest first."""
        ordered = sorted(set(output_ids))
        rows: list[ScoreRecord] = []
        with self._reader.connect() as conn:
            for start in range(0, len(ordered), _CHUNK):
                chunk = ordered[start : start + _CHUNK]
                stmt = select(*scores.c).where(scores.c.output_id.in_(chunk))
                rows += [_record(tuple(row)) for row in conn.execute(stmt)]
        return sorted(rows, key=lambda r: r.created_at)

    def put_many(self, records: Iterable[ScoreRecord]) -> None:
        """Store scores (one transaction); a key stored already keeps its row, unless that row
        is an error (then the new one replaces it)."""
        now = time.time()
        values = [
            {
                "output_hash": r.key.output_hash,
                "scorer": r.key.scorer,
                "version": r.key.version,
                "param_hash": r.key.param_hash,
                "output_id": r.output_id,
                "value": r.value,
                "passed": None if r.passed is None else int(r.passed),
                "detail": redact(r.detail) or "",
                "tokens": r.tokens,
                "cost": r.cost,
                "created_at": r.created_at or now,
                "error": int(r.error),
            }
            for r in records
        ]
        if not values:
            return
        with self._writer.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            new = dialect.insert(scores)
            replaced = {
                name: new.excluded[name]
                for name in ("output_id", "value", "passed", "detail", "tokens", "cost")
            }
            replaced |= {"created_at": new.excluded.created_at, "error": new.excluded.error}
            conn.execute(
                new.on_conflict_do_update(
                    index_elements=[
                        scores.c.output_hash,
                        scores.c.scorer,
                        scores.c.version,
                        scores.c.param_hash,
                    ],
                    set_=replaced,
                    where=scores.c.error != 0,
                ),
                values,
            )

    def count(self) -> int:
        """How many scores the store holds."""
        from sqlalchemy import func

        with self._reader.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(scores)).scalar_one())


def _record(row: tuple[object, ...]) -> ScoreRecord:
    (
        output_hash,
        scorer,
        version,
        param_hash,
        output_id,
        value,
        passed,
        detail,
        tokens,
        cost,
        at,
        error,
    ) = row
    return ScoreRecord(
        ScoreKey(str(output_hash), str(scorer), str(version), str(param_hash)),
        str(output_id),
        None if value is None else float(value),  # type: ignore[arg-type]
        None if passed is None else bool(passed),
        str(detail or ""),
        None if tokens is None else int(tokens),  # type: ignore[call-overload]
        None if cost is None else float(cost),  # type: ignore[arg-type]
        float(at),  # type: ignore[arg-type]
        bool(error),
    )
