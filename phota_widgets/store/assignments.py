"""Which annotator is to judge which pair of a sweep (``res.assign``)."""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import delete, insert, select

from phota_widgets.store.schema import assignments
from phota_widgets.store.table_part import TablePart


class Assignments(TablePart):
    """Review assignments in the run store's index: (sweep, pair, judge) rows."""

    def replace(self, sweep_id: str, rows: Iterable[tuple[str, str]]) -> int:
        """Make ``(pair, judge)`` rows the sweep's assignments (earlier ones dropped); how many."""
        now = time.time()
        values = [
            {"sweep_id": sweep_id, "pair": pair, "judge": judge, "created_at": now}
            for pair, judge in dict.fromkeys(rows)
        ]
        with self._writer.begin() as conn:
            conn.execute(delete(assignments).where(assignments.c.sweep_id == sweep_id))
            if values:
                conn.execute(insert(assignments), values)
        return len(values)

    def of_sweep(self, sweep_id: str) -> dict[str, set[str]]:
        """Judge -> the pairs assigned to them in this sweep (empty: no assignment made)."""
        stmt = select(assignments.c.judge, assignments.c.pair).where(
            assignments.c.sweep_id == sweep_id
        )
        found: dict[str, set[str]] = {}
        with self._reader.connect() as conn:
            for judge, pair in conn.execute(stmt):
                found.setdefault(str(judge), set()).add(str(pair))
        return found
