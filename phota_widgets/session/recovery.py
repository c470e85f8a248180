"""Recovery: runs left behind by a stopped process are ended honestly or collected.

When a session opens a store it settles the orphans (unfinished runs whose process is gone) and
collects the jobs a previous kernel submitted but never collected, each claimed first so two
sessions never collect the same run, and each with its recorded key or job id (nothing is paid
twice). Which process is alive is told by owner lock files (:mod:`.owners`) on one machine, and
by claim leases (:mod:`.claimed`) across machines.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from phota_widgets.api.errors import NotFoundError, PhotaError
from phota_widgets.api.results import Result
from phota_widgets.session.backend import LOCAL_BACKEND
from phota_widgets.session.claimed import busy_runs, holder_gone
from phota_widgets.session.lifecycle import SENT_SYNC, RunLifecycle
from phota_widgets.session.owners import OwnerLock
from phota_widgets.session.submits import TRANSIENT_ERRORS
from phota_widgets.store import RunRecord, RunStatus

logger = logging.getLogger("phota_widgets")

if TYPE_CHECKING:
    from phota_widgets.session.facade import Session

NEVER_SENT = "never sent: the process that queued it stopped first (nothing was charged)"
LOST_SYNC = (
    "the process stopped during its synchronous request: it may have been charged, and there is "
    "no job to collect (use_jobs=True makes runs resumable)"
)
LOST_UNKNOWN = "the process running it stopped before it was sent or answered; nothing to collect"
SERVER_GONE = (
    "the embedded server that accepted it has stopped, and its jobs with it (nothing was charged)"
)


class Recovery:
    """Orphans, owners and resume for one session.

    Args:
        session: the session whose store and backend are recovered.
        runs: the session's run lifecycle (a collected job is finished the way a run is).
        owner: the session's claim on its runs.
    """

    def __init__(self, session: Session, runs: RunLifecycle, owner: OwnerLock) -> None:
        self._session = session
        self._runs = runs
        self._owner = owner

    def settle_orphans(self) -> int:
        """Honestly end the unfinished runs of processes that have stopped (see the facade)."""
        store = self._session.store
        live = OwnerLock.live(store.root)
        live_backends = set(live.values())
        ended = 0
        expired = store.leases.expired_runs() if store.shared else set()
        for record, owner in store.unfinished_runs():
            if self._owner_alive(record.run_id, owner, live, expired):
                continue
            outcome = orphan_outcome(record, owner, live_backends)
            if outcome is None or not store.claim_run(
                record.run_id, self._owner.token, previous=owner
            ):
                continue
            status, error = outcome
            logger.info("run %s of a stopped process: %s (%s)", record.run_id, status, error)
            store.finish_run(record.run_id, status=status, error=error)
            ended += 1
        return ended

    def _owner_alive(
        self, run_id: str, owner: str | None, live: Mapping[str, str], expired: set[str]
    ) -> bool:
        """Whether a run's owner may still be working on it.

        Lock files in this folder tell for sessions sharing the folder. On a shared store other
        owners may be on other machines (or use other folders): they count as alive unless they
        are processes of this machine that are gone, or the claim they held on the run has
        expired (the lease is the sign of life across machines).
        """
        if owner is None:
            return False
        if owner in live:
            return True
        if not self._session.store.shared or holder_gone(owner):
            return False
        return run_id not in expired

    def resumable(self) -> list[RunRecord]:
        """Submitted runs of this backend whose process is gone (or is this one, idle)."""
        store = self._session.store
        live = OwnerLock.live(store.root)
        expired = store.leases.expired_runs() if store.shared else set()
        found = []
        for record, owner in store.unfinished_runs():
            if record.status != "submitted" or record.backend != self._session.backend_id:
                continue
            if record.job_id is None and record.client_request_id is None:
                continue
            if record.run_id in self._runs.active or (
                owner != self._owner.token
                and self._owner_alive(record.run_id, owner, live, expired)
            ):
                continue
            found.append(record)
        return found

    async def aresume(self) -> list[Result]:
        """Collect every job submitted but never collected (see ``Session.aresume``)."""
        session = self._session
        results = []
        busy = await asyncio.to_thread(busy_runs, session)
        for record in await session.writer.call(self.resumable):
            if record.run_id in busy:
                continue
            if not await session.writer.call(self._claim, record.run_id):
                continue
            self._runs.active.add(record.run_id)
            logger.info("collecting run %s (job %s)", record.run_id, record.job_id or "unknown")
            try:
                result = await self.collect(record)
            finally:
                self._runs.active.discard(record.run_id)
            if result is not None:
                await asyncio.to_thread(session.store.leases.settle, record.run_id)
                results.append(result)
        return results

    def _claim(self, run_id: str) -> bool:
        """Take a run to collect it (a run this session already owns is its own)."""
        store = self._session.store
        owner = store.run_owner(run_id)
        return owner == self._owner.token or store.claim_run(
            run_id, self._owner.token, previous=owner
        )

    async def collect(self, record: RunRecord) -> Result | None:
        """Collect one submitted run (same key or job id: nothing paid twice); None if not."""
        session, runs = self._session, self._runs
        store, writer = session.store, session.writer
        started = time.perf_counter()
        try:
            if record.job_id is None:  # the submit's answer was lost: same key, same job
                assert record.client_request_id is not None
                params = await asyncio.to_thread(session.rerun_params, record.run_id)
                result = await runs.run_job(
                    record.run_id,
                    record.endpoint,
                    params,
                    record.client_request_id,
                    record.params,
                    fresh=False,
                )
            else:
                job = await session.aclient.get_job(record.job_id, endpoint=record.endpoint)
                job.request = dict(record.params)
                result = await job.wait(on_image=runs.saver(record.run_id))
        except NotFoundError:
            error = f"job {record.job_id} is gone from the backend"
            await writer.call(store.finish_run, record.run_id, status="failed", error=error)
            return None
        except TRANSIENT_ERRORS as exc:  # still collectable: try again later
            note = f"resume interrupted ({exc})"
            await writer.call(store.set_note, record.run_id, note)
            return None
        except PhotaError as exc:
            await writer.call(store.finish_run, record.run_id, status="failed", error=str(exc))
            return None
        elapsed = record.elapsed or time.perf_counter() - started
        return await writer.call(runs.record, record.run_id, result, elapsed)


def orphan_outcome(
    record: RunRecord, owner: str | None, live_backends: set[str]
) -> tuple[RunStatus, str] | None:
    """How to end an unfinished run whose process has stopped (None: leave it to resume)."""
    if record.status == "running":
        if owner is None:
            return "failed", LOST_UNKNOWN
        if record.note == SENT_SYNC:
            return "failed", LOST_SYNC
        return "cancelled", NEVER_SENT
    on_embedded = record.backend == LOCAL_BACKEND or record.backend.startswith(LOCAL_BACKEND + ":")
    if on_embedded and record.backend not in live_backends:
        return "failed", SERVER_GONE
    return None
