"""The run store's picks: outputs marked by each judge, kept apart per person."""

from __future__ import annotations

import time

from sqlalchemy import delete, exists, func, insert, select, update

from phota_widgets.store.base import StoreBase, recount
from phota_widgets.store.config import default_judge
from phota_widgets.store.failures import ride_out
from phota_widgets.store.queries import newest_first, output_record
from phota_widgets.store.records import OutputRecord
from phota_widgets.store.schema import LEGACY_JUDGE, outputs, picks, runs


@ride_out
class Picks(StoreBase):
    """Picks of outputs, per judge (part of ``RunStore``)."""

    def set_pick(
        self, run_id: str, index: int, picked: bool = True, *, judge: str | None = None
    ) -> None:
        """Mark (or unmark) one output of a run as picked by ``judge`` (default: you).

        Picks of several people are kept apart; ``OutputRecord.picked`` says whether anyone
        picked it. Unpicking also clears a pick made before picks were kept per judge.
        """
        who = judge or default_judge()
        where = (outputs.c.run_id == run_id, outputs.c.idx == index)
        mine = (picks.c.run_id == run_id, picks.c.idx == index)
        with self._writer.begin() as conn:
            if conn.execute(select(outputs.c.idx).where(*where)).first() is None:
                self._require(run_id, conn)
                raise KeyError(f"run {run_id!r} has no output {index}")
            judges = [who] if picked else [who, LEGACY_JUDGE]
            conn.execute(delete(picks).where(*mine, picks.c.judge.in_(judges)))
            if picked:
                conn.execute(
                    insert(picks).values(run_id=run_id, idx=index, judge=who, picked_at=time.time())
                )
            anyone = conn.execute(select(func.count()).select_from(picks).where(*mine))
            conn.execute(update(outputs).where(*where).values(picked=int(anyone.scalar_one() > 0)))
            recount(conn, run_id)

    def picks(self, *, judge: str | None = None) -> list[OutputRecord]:
        """Picked outputs (by anyone, or by one ``judge``), newest run first."""
        stmt = select(
            outputs.c.run_id, outputs.c.idx, outputs.c.sha256, outputs.c.output_format,
            outputs.c.width, outputs.c.height, outputs.c.picked,
        ).join(runs, runs.c.run_id == outputs.c.run_id)  # fmt: skip
        if judge is None:
            stmt = stmt.where(outputs.c.picked != 0)
        else:
            stmt = stmt.where(
                exists().where(
                    picks.c.run_id == outputs.c.run_id,
                    picks.c.idx == outputs.c.idx,
                    picks.c.judge == judge,
                )
            )
        stmt = newest_first(stmt, self.dialect).order_by(outputs.c.idx)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [output_record(row, self.files) for row in rows]

    def judges(self) -> list[str]:
        """Everyone who has picked, judged or rated in this store, sorted."""
        with self.engine.connect() as conn:
            pickers = set(conn.execute(select(picks.c.judge).distinct()).scalars())
        return sorted((pickers - {LEGACY_JUDGE}) | set(self.judging.judges()))
