"""Expiring claims on shared work, so several processes run each piece of it once.

A claim is one row per key. Whoever inserts it (or takes it over once its lease has expired)
holds it, renews it while working and marks it done with the run that answered it. Everything
is single SQL statements that are atomic on PostgreSQL (row locks) and SQLite (``BEGIN
IMMEDIATE``). Lease times are the writers' clocks: keep machines in NTP sync, and the lease
(default one minute) far above their skew.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from phota_widgets.store.failures import ride_out
from phota_widgets.store.schema import claims
from phota_widgets.store.table_part import TablePart

DEFAULT_TTL = 60.0
"""Seconds a claim lasts without renewal before others may take it over."""

ClaimState = Literal["held", "done"]


@dataclass(frozen=True)
class Claim:
    """Who holds (or finished) a piece of shared work, and with which run."""

    key: str
    holder: str
    state: ClaimState
    expires_at: float
    claimed_at: float
    attempts: int
    run_id: str | None

    def expired(self, now: float | None = None) -> bool:
        """Whether a held claim's lease has run out (a done claim never expires)."""
        return self.state == "held" and self.expires_at < (time.time() if now is None else now)


@ride_out
class Leases(TablePart):
    """Claims on keys in the run store's index."""

    def claim(
        self, key: str, holder: str, ttl: float = DEFAULT_TTL, *, dead: str | None = None
    ) -> bool:
        """Take ``key`` for ``holder`` if nobody holds a live claim on it and it is not done.

        Args:
            key: names the work.
            holder: who takes it.
            ttl: seconds the claim lasts without renewal.
            dead: a holder known to be dead (its process is gone): its claim is taken over
                at once, without waiting for the lease to run out.

        Returns:
            True if ``holder`` now holds it (new, taken over, or already its own).
        """
        if ttl <= 0:
            raise ValueError(f"a lease must last more than 0 seconds, got {ttl}")
        now = time.time()
        with self._writer.begin() as conn:
            fresh = self._insert(conn.dialect.name).values(
                claim_key=key, holder=holder, state="held", expires_at=now + ttl,
                claimed_at=now, attempts=1, run_id=None,
            )  # fmt: skip
            added = conn.execute(fresh.on_conflict_do_nothing().returning(claims.c.claim_key))
            if added.first() is not None:  # INSERT rowcounts are not portable: RETURNING is
                return True
            taken = conn.execute(
                update(claims)
                .where(
                    claims.c.claim_key == key,
                    claims.c.state == "held",
                    or_(
                        claims.c.expires_at < now,
                        claims.c.holder == holder,
                        claims.c.holder == (dead or holder),
                    ),
                )
                .values(
                    holder=holder,
                    expires_at=now + ttl,
                    claimed_at=now,
                    attempts=claims.c.attempts + case((claims.c.holder == holder, 0), else_=1),
                )
            )
            return taken.rowcount == 1

    def renew(self, key: str, holder: str, ttl: float = DEFAULT_TTL) -> bool:
        """Extend ``holder``'s claim; False if it lost it (taken over or done meanwhile)."""
        with self._writer.begin() as conn:
            renewed = conn.execute(
                update(claims)
                .where(claims.c.claim_key == key, claims.c.holder == holder)
                .where(claims.c.state == "held")
                .values(expires_at=time.time() + ttl)
            )
            return renewed.rowcount == 1

    def attach(self, key: str, holder: str, run_id: str) -> bool:
        """Record the run working on a held claim (so a taker can collect it)."""
        with self._writer.begin() as conn:
            changed = conn.execute(
                update(claims)
                .where(claims.c.claim_key == key, claims.c.holder == holder)
                .where(claims.c.state == "held")
                .values(run_id=run_id)
            )
            return changed.rowcount == 1

    def finish(self, key: str, holder: str, run_id: str) -> bool:
        """Mark ``holder``'s claim done with the run that answered it."""
        with self._writer.begin() as conn:
            done = conn.execute(
                update(claims)
                .where(claims.c.claim_key == key, claims.c.holder == holder)
                .where(claims.c.state == "held")
                .values(state="done", run_id=run_id)
            )
            return done.rowcount == 1

    def settle(self, run_id: str) -> int:
        """Mark done every held claim working on ``run_id`` (collected by someone else)."""
        with self._writer.begin() as conn:
            settled = conn.execute(
                update(claims)
                .where(claims.c.run_id == run_id, claims.c.state == "held")
                .values(state="done")
            )
            return int(settled.rowcount)

    def settle_answered(self, answered: Sequence[tuple[str, str]]) -> int:
        """Mark done the expired held claims of keys already answered by a run (key, run id):
        a holder that died before linking its claim to the run it sent leaves it held, though
        the run was collected by someone else. A live (unexpired) claim is never touched."""
        if not answered:
            return 0
        now = time.time()
        settled = 0
        with self._writer.begin() as conn:
            for key, run_id in answered:
                done = conn.execute(
                    update(claims)
                    .where(claims.c.claim_key == key, claims.c.state == "held")
                    .where(claims.c.expires_at < now)
                    .values(state="done", run_id=run_id)
                )
                settled += int(done.rowcount)
        return settled

    def release(self, key: str, holder: str) -> bool:
        """Give up ``holder``'s unfinished claim at once, so another process may take it."""
        with self._writer.begin() as conn:
            gone = conn.execute(
                update(claims)
                .where(claims.c.claim_key == key, claims.c.holder == holder)
                .where(claims.c.state == "held")
                .values(expires_at=0.0)
            )
            return gone.rowcount == 1

    def busy_runs(self, holder: str | None = None) -> dict[str, str]:
        """Runs attached to unexpired held claims of others: run id -> holder."""
        stmt = select(claims.c.run_id, claims.c.holder).where(
            claims.c.state == "held",
            claims.c.expires_at >= time.time(),
            claims.c.run_id.is_not(None),
        )
        if holder is not None:
            stmt = stmt.where(claims.c.holder != holder)
        with self._reader.connect() as conn:
            return {str(run_id): str(who) for run_id, who in conn.execute(stmt).all()}

    def expired_runs(self) -> set[str]:
        """Run ids attached to held claims whose lease has run out (their holder is presumed
        dead: the work is free to take over)."""
        stmt = select(claims.c.run_id).where(
            claims.c.state == "held",
            claims.c.expires_at < time.time(),
            claims.c.run_id.is_not(None),
        )
        with self._reader.connect() as conn:
            return {str(run_id) for run_id in conn.execute(stmt).scalars()}

    def forget_done(self, key: str) -> None:
        """Delete a finished claim (to run that work again on purpose); held ones stay."""
        with self._writer.begin() as conn:
            conn.execute(delete(claims).where(claims.c.claim_key == key, claims.c.state == "done"))

    def get(self, key: str) -> Claim | None:
        """The claim on ``key``, or None if nobody has claimed it."""
        found = self.under(key, exact=True)
        return found[0] if found else None

    def under(self, prefix: str, *, exact: bool = False) -> list[Claim]:
        """Every claim whose key starts with ``prefix`` (or equals it), by key."""
        stmt = select(*claims.c).order_by(claims.c.claim_key)
        if exact:
            stmt = stmt.where(claims.c.claim_key == prefix)
        else:
            stmt = stmt.where(claims.c.claim_key.startswith(prefix, autoescape=True))
        with self._reader.connect() as conn:
            rows = conn.execute(stmt).all()
        return [
            Claim(r.claim_key, r.holder, r.state, r.expires_at, r.claimed_at, r.attempts, r.run_id)
            for r in rows
        ]

    @staticmethod
    def _insert(dialect: str) -> sqlite.Insert | postgresql.Insert:
        if dialect == "postgresql":
            return postgresql.insert(claims)
        if dialect == "sqlite":
            return sqlite.insert(claims)
        raise ValueError(f"claims need SQLite or PostgreSQL, not {dialect}")  # pragma: no cover
