"""What every part of :class:`~phota_widgets.store.RunStore` shares: its engines, its files and
the few internals they all use (a run must exist, one run's row updated, runs loaded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from phota_widgets.store.files import FileStore
from phota_widgets.store.judging import Judging
from phota_widgets.store.queries import load_runs
from phota_widgets.store.records import RunRecord
from phota_widgets.store.schema import outputs, runs


class StoreBase:
    """The state the run store's parts read (set by ``RunStore.__init__``)."""

    root: Path
    files: FileStore
    engine: Engine
    """Reads (and the pool both engines share)."""
    _writer: Engine
    """Writes: each ``begin()`` is one committed transaction."""
    dialect: str
    judging: Judging

    def _require(self, run_id: str, conn: Connection | None = None) -> None:
        stmt = select(runs.c.run_id).where(runs.c.run_id == run_id)
        if conn is not None:
            row = conn.execute(stmt).first()
        else:
            with self.engine.connect() as own:
                row = own.execute(stmt).first()
        if row is None:
            raise KeyError(f"unknown run id {run_id!r}")

    def _update(self, run_id: str, **values: Any) -> None:
        with self._writer.begin() as conn:
            changed = conn.execute(update(runs).where(runs.c.run_id == run_id).values(**values))
        if changed.rowcount == 0:
            raise KeyError(f"unknown run id {run_id!r}")

    def _load(self, stmt: Any) -> list[RunRecord]:
        with self.engine.connect() as conn:
            return load_runs(conn, stmt, self.files)


def recount(conn: Connection, run_id: str) -> None:
    """Refresh a run's output and pick counts (kept on the run for one-scan tables)."""
    mine = outputs.c.run_id == run_id
    conn.execute(
        update(runs)
        .where(runs.c.run_id == run_id)
        .values(
            n_outputs=select(func.count()).where(mine).scalar_subquery(),
            n_picked=select(func.coalesce(func.sum(outputs.c.picked), 0))
            .where(mine)
            .scalar_subquery(),
        )
    )
