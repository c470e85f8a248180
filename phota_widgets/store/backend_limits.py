"""What a session learned of each backend's capacity: the concurrency to start from next time.

A session finds an API key's limits by itself (see :mod:`phota_widgets.session.concurrency`); the
limit it ends at is kept here, one row per backend (``local`` or the API root), so the next
session on this store starts near it instead of from the default.
"""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from phota_widgets.store.failures import ride_out
from phota_widgets.store.schema import backend_limits
from phota_widgets.store.table_part import TablePart


@ride_out
class BackendLimits(TablePart):
    """The ``backend_limits`` table of the run store."""

    def get(self, backend: str) -> tuple[int, float] | None:
        """The concurrency learned for ``backend`` and when (None: never)."""
        with self._reader.connect() as conn:
            row = conn.execute(
                select(backend_limits.c.concurrency, backend_limits.c.learned_at).where(
                    backend_limits.c.backend == backend
                )
            ).first()
        return None if row is None else (int(row[0]), float(row[1]))

    def put(self, backend: str, concurrency: int) -> None:
        """Keep the concurrency learned for ``backend`` (the latest wins)."""
        if concurrency < 1:
            raise ValueError("a learned concurrency is at least 1")
        values = {"backend": backend, "concurrency": concurrency, "learned_at": time.time()}
        dialect = self._writer.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(backend_limits).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[backend_limits.c.backend],
            set_={"concurrency": concurrency, "learned_at": values["learned_at"]},
        )
        with self._writer.begin() as conn:
            conn.execute(stmt)
