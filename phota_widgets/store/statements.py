"""SQL the layers above run on their own tables in the index (sweeps and their cells: see
``experiments``), and the fingerprint that tells a watcher anything changed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select, text

from phota_widgets.store.base import StoreBase
from phota_widgets.store.failures import ride_out
from phota_widgets.store.schema import (
    claims,
    judgements,
    outputs,
    ratings,
    runs,
    sweep_cells,
    sweeps,
)

_FINAL = ("succeeded", "failed", "cancelled")


@ride_out
class Statements(StoreBase):
    """Portable SQL for other layers' tables, and the change fingerprint (part of ``RunStore``)."""

    def fingerprint(self) -> tuple[Any, ...]:
        """A few counts that change whenever anyone adds or finishes a run, an output, a cell,
        a claim, a pick, a judgement or a rating (one cheap query; for watching the store)."""
        parts = [
            select(func.count()).select_from(runs),
            select(func.count()).select_from(runs).where(runs.c.status.in_(_FINAL)),
            select(func.coalesce(func.max(runs.c.created_at), 0.0)),
            select(func.count()).select_from(outputs),
            select(func.coalesce(func.sum(outputs.c.picked), 0)),
            select(func.count()).select_from(sweep_cells).where(sweep_cells.c.run_id.is_not(None)),
            select(func.count()).select_from(sweeps),
            select(func.count()).select_from(claims).where(claims.c.state == "done"),
            select(func.count()).select_from(judgements),
            select(func.coalesce(func.max(ratings.c.created_at), 0.0)),
        ]
        stmt = select(*(part.scalar_subquery() for part in parts))
        with self.engine.connect() as conn:
            return tuple(conn.execute(stmt).one())

    def execute(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one SQL statement (``?`` placeholders) in its own transaction; return its rows.

        For the layers above that keep their own tables in this index (``experiments``); the
        SQL must be portable between SQLite and PostgreSQL.
        """
        statement, names = _named(sql)
        with self._writer.begin() as conn:
            result = conn.execute(text(statement), dict(zip(names, args, strict=True)))
            return [tuple(row) for row in result.all()] if result.returns_rows else []

    def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one SQL statement for each row of arguments, all in one transaction."""
        statement, names = _named(sql)
        batch = [dict(zip(names, row, strict=True)) for row in rows]
        if batch:
            with self._writer.begin() as conn:
                conn.execute(text(statement), batch)


def _named(sql: str) -> tuple[str, list[str]]:
    """``?`` placeholders as named binds (``:p0``, ``:p1``…), which every dialect accepts."""
    names: list[str] = []

    def bind(_match: re.Match[str]) -> str:
        names.append(f"p{len(names)}")
        return f":{names[-1]}"

    return re.sub(r"\?", bind, sql), names
