"""Running a sweep on the session's loop: bounded concurrency, progress, resume, retries.

Each cell is one :meth:`Session.arun_once` (the run recorded before sending, each image the
moment it arrives), linked to the sweep as soon as it is recorded; on a shared store, the cell is
claimed first, so processes running the same sweep run each cell once and show each other's.
Cells already answered in the store are not sent again; cells submitted by an earlier process
are collected, not resubmitted.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from phota_widgets.api.errors import PhotaError
from phota_widgets.experiments.session_protocol import busy_runs
from phota_widgets.experiments.sweeps import records
from phota_widgets.experiments.sweeps.cells import Cell
from phota_widgets.experiments.sweeps.plan import SweepPlan

if TYPE_CHECKING:
    from phota_widgets.experiments.scoring import Scorer
    from phota_widgets.experiments.session_protocol import SweepSession
    from phota_widgets.experiments.sweeps.result import SweepResult


def claim_key(cell_key: str) -> str:
    """The claim that makes a cell run once across processes sharing a store."""
    return f"cell/{cell_key}"


logger = logging.getLogger("phota_widgets")

WINDOW_PER_SLOT = 4
"""Cells in progress per session slot at most: enough to keep every slot busy (the next cells
are checked and recorded while others wait on the server) without recording thousands of runs
up front."""
READY_PER_SLOT = 3
"""Cells in progress per slot of the limit *now*: one in the slot and two checked and recorded,
ready to go when a slot frees or the limit doubles (slow start). More only queue their store
writes ahead of the calls about to be sent (128 cells started at once held a 200-cell sweep's
first submit back by 1.7 s)."""


@dataclass(frozen=True)
class SweepProgress:
    """Where a running sweep stands.

    Attributes:
        total: cells this run sends.
        done: cells answered in this run.
        failed: cells that failed in this run.
        cost: estimated cost of the answered cells, in US dollars.
        skipped_done: cells not sent because the store already had them.
        finished: whether the run has ended (done, failed, or cancelled).
    """

    total: int
    done: int = 0
    failed: int = 0
    cost: float = 0.0
    skipped_done: int = 0
    finished: bool = False

    @property
    def remaining(self) -> int:
        """Cells not yet answered or failed."""
        return self.total - self.done - self.failed


@dataclass(frozen=True)
class CellOutcome:
    """What happened to one cell: its key, run id (if one was recorded) and error (if any)."""

    key: str
    run_id: str | None
    error: str | None
    progress: SweepProgress


def annotate(session: SweepSession, plan: SweepPlan, *, retry_failed: bool = False) -> SweepPlan:
    """The plan with what the store knows: cells done, failed before, or waiting to be collected."""
    states = records.cell_states(session.store, plan.sweep_id, [c.key for c in plan.cells])
    done = frozenset(k for k, s in states.items() if s.status == "succeeded")
    failed = frozenset(k for k, s in states.items() if s.status == "failed")
    busy = busy_runs(session)  # held by another live process: wait for it through a claim
    waiting = frozenset(
        k for k, s in states.items() if s.status == "submitted" and s.run_id not in busy
    )
    seconds = records.typical_seconds(session.store, plan.endpoint, session.backend)
    return replace(
        plan,
        done=done,
        failed=failed,
        waiting=waiting,
        retry_failed=retry_failed,
        concurrency=session.max_concurrency,
        seconds_per_call=seconds if seconds is not None else plan.seconds_per_call,
    )


class SweepRunner:
    """Runs one plan's outstanding cells on the session's loop (one instance per run)."""

    def __init__(
        self,
        session: SweepSession,
        plan: SweepPlan,
        *,
        progress_bar: bool = True,
        on_cell: Callable[[CellOutcome], None] | None = None,
        checks: list[Scorer] | None = None,
    ) -> None:
        from phota_widgets.experiments.scoring import ScoringWorker

        self.session = session
        self.checks = list(checks or [])
        self._scoring = (  # scores each answered cell on threads of its own, never on the loop
            ScoringWorker(session.store, self.checks, session.max_concurrency)
            if self.checks
            else None
        )
        self.plan = plan
        self.sweep_id = plan.sweep_id
        self.on_cell = on_cell
        self._lock = threading.Lock()
        self._progress = SweepProgress(total=0)
        self._started = 0  # cells in progress now
        self._room = asyncio.Event()  # set when a cell ends (its loop: the session's)
        # made here, in the caller's thread, so a notebook shows it under the calling cell
        # no bar when nothing is left to send (a finished sweep run again): "0call" says nothing
        to_send = len(plan.to_run())
        self._bar = _progress_bar(self.sweep_id, to_send) if progress_bar and to_send else None

    def close_bar(self) -> None:
        """Close the progress bar (also when the run was cancelled before it started)."""
        if self._bar is not None:
            self._bar.close()

    @property
    def progress(self) -> SweepProgress:
        """A snapshot of the run's progress (safe from any thread)."""
        with self._lock:
            return self._progress

    async def run(self) -> SweepResult:
        """Record the sweep, collect earlier submissions, send what is left; return the result."""
        from phota_widgets.experiments.sweeps.result import SweepResult

        store = self.session.store
        await asyncio.to_thread(records.save_sweep, store, self.plan)
        await self._collect_earlier()
        plan = await asyncio.to_thread(
            annotate, self.session, self.plan, retry_failed=self.plan.retry_failed
        )
        states = await asyncio.to_thread(
            records.cell_states, store, self.sweep_id, [c.key for c in plan.cells]
        )
        await asyncio.to_thread(
            records.link_runs,
            store,
            self.sweep_id,
            [(k, s.run_id) for k, s in states.items() if s.run_id is not None],
        )
        await asyncio.to_thread(self._settle_answered, states)
        cells = plan.to_run() + await asyncio.to_thread(self._collectable, plan, states)
        with self._lock:
            self._progress = SweepProgress(total=len(cells), skipped_done=len(plan.done))
        bar = self._bar
        if bar is not None and bar.total != len(cells):
            bar.reset(total=len(cells))
        try:
            await self._run_cells(cells, bar)
            await asyncio.to_thread(self._settle_answered)
            result = await asyncio.to_thread(SweepResult.load, self.session, self.sweep_id)
            if self._scoring is not None:
                await asyncio.to_thread(self._scoring.finish, result)
                result.checks = self.checks
            return result
        finally:
            with self._lock:
                self._progress = replace(self._progress, finished=True)
            self.close_bar()
            if self._scoring is not None:
                self._scoring.close()

    async def _collect_earlier(self) -> None:
        """Let the session finish collecting jobs an earlier process submitted, then try again."""
        resuming = self.session.resuming
        if resuming is not None and not resuming.done():
            with contextlib.suppress(Exception):  # its failures are its own to report
                await asyncio.wrap_future(resuming)
        keys = [c.key for c in self.plan.cells]
        states = await asyncio.to_thread(
            records.cell_states, self.session.store, self.sweep_id, keys
        )
        if any(s.status == "submitted" for s in states.values()):
            try:
                await self.session.aresume()
            except PhotaError as exc:  # the cells stay "submitted": a later run collects them
                logger.warning("sweep %s: collecting earlier jobs failed: %s", self.sweep_id, exc)

    def _settle_answered(self, states: dict[str, records.CellState] | None = None) -> None:
        """Close the expired claims of cells answered meanwhile: a holder killed before it
        linked its claim to the run it sent leaves the claim held, though that run was collected
        (by a resume) and answers the cell."""
        if states is None:
            keys = [c.key for c in self.plan.cells]
            states = records.cell_states(self.session.store, self.sweep_id, keys)
        answered = [
            (claim_key(key), state.run_id)
            for key, state in states.items()
            if state.status == "succeeded" and state.run_id is not None
        ]
        self.session.store.leases.settle_answered(answered)

    def _collectable(self, plan: SweepPlan, states: dict[str, records.CellState]) -> list[Cell]:
        """Waiting cells whose claim carries their submitted run: run through the claim, whose
        take-over collects that run (same key or job id, nothing paid twice) once its holder is
        gone. Without this, a claim that ran out just after the collection above would leave
        its run uncollected by this sweep."""
        leases = self.session.store.leases
        found = []
        for cell in plan.cells:
            if cell.key not in plan.waiting:
                continue
            claim = leases.get(claim_key(cell.key))
            state = states.get(cell.key)
            if (
                claim is not None
                and claim.state == "held"
                and state is not None
                and claim.run_id == state.run_id
            ):
                found.append(cell)
        return found

    async def _run_cells(self, cells: list[Cell], bar: Any) -> None:
        queue: asyncio.Queue[Cell] = asyncio.Queue()
        for cell in cells:
            queue.put_nowait(cell)
        workers = [
            asyncio.ensure_future(self._worker(queue, bar))
            for _ in range(min(self.session.max_concurrency * WINDOW_PER_SLOT, len(cells)))
        ]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _worker(self, queue: asyncio.Queue[Cell], bar: Any) -> None:
        while not queue.empty():
            while self._started >= max(1, self.session.concurrency) * READY_PER_SLOT:
                self._room.clear()  # the limit grows as cells end: look again then
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._room.wait(), 1.0)
            if queue.empty():
                return
            cell = queue.get_nowait()
            self._started += 1
            try:
                await self._run_cell(cell, bar)
            finally:
                self._started -= 1
                self._room.set()

    async def _run_cell(self, cell: Cell, bar: Any) -> None:
        store = self.session.store
        recorded: list[str] = []
        linked: list[concurrent.futures.Future[None]] = []

        def link(run_id: str) -> None:
            # queued on the session's store thread: it lands before the run's next write (the
            # job key, awaited before the submit), without a commit on the loop
            recorded.append(run_id)
            linked.append(
                self.session.writer.post(
                    records.link_runs, store, self.sweep_id, [(cell.key, run_id)]
                )
            )

        error: str | None = None
        cost = 0.0
        try:
            claim = claim_key(cell.key)
            if self.plan.retry_failed and cell.key in self.plan.failed:
                await asyncio.to_thread(store.leases.forget_done, claim)
            try:
                result = await self.session.arun_once(
                    claim, self.plan.endpoint, on_recorded=link, **cell.params
                )
                if not recorded and result.run_id is not None:  # another process answered it
                    link(result.run_id)
            finally:
                for pending in linked:
                    await asyncio.wrap_future(pending)  # a failed link is raised, not lost
            cost = result.cost_estimate or 0.0
            if self._scoring is not None and recorded and result.run_id is not None:
                self._scoring.submit(cell.info, result.run_id)
        except PhotaError as exc:
            error = str(exc)
            if not recorded:
                await asyncio.to_thread(
                    records.set_cell_error, store, self.sweep_id, cell.key, error
                )
        with self._lock:
            p = self._progress
            self._progress = replace(
                p,
                done=p.done + (error is None),
                failed=p.failed + (error is not None),
                cost=round(p.cost + cost, 4),
            )
            progress = self._progress
        if bar is not None:
            bar.update(1)
            bar.set_postfix(
                done=progress.done,
                failed=progress.failed,
                cost=f"${progress.cost:.2f}",
                at_once=self.session.concurrency,  # the adaptive limit now
            )
        if self.on_cell is not None:
            self.on_cell(CellOutcome(cell.key, recorded[-1] if recorded else None, error, progress))


def _progress_bar(sweep_id: str, total: int) -> Any:
    """A ``tqdm.auto`` bar: a widget in a notebook, text on stderr in a terminal."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"sweep {sweep_id}", unit="call", leave=True)


class SweepHandle:
    """A sweep running in the background: its progress, a cancel, and its result.

    Attributes:
        plan: the plan being run.
        future: the thread-safe future of the :class:`SweepResult`.
    """

    def __init__(self, runner: SweepRunner, future: concurrent.futures.Future[SweepResult]) -> None:
        self._runner = runner
        self.plan = runner.plan
        self.future = future

    @property
    def sweep_id(self) -> str:
        """The sweep's id in the run store."""
        return self._runner.sweep_id

    @property
    def progress(self) -> SweepProgress:
        """Cells done, failed and the cost so far."""
        return self._runner.progress

    def done(self) -> bool:
        """Whether the sweep has ended (finished, failed or cancelled)."""
        return self.future.done()

    def cancel(self) -> bool:
        """Stop the sweep; cells already sent are kept and a later run collects or resumes them."""
        return self.future.cancel()

    def result(self, timeout: float | None = None) -> SweepResult:
        """Wait for the sweep and return its :class:`SweepResult`."""
        return self.future.result(timeout)

    def add_done_callback(self, callback: Callable[[concurrent.futures.Future[Any]], None]) -> None:
        """Call ``callback`` with the future once the sweep has ended."""
        self.future.add_done_callback(callback)

    def __repr__(self) -> str:
        p = self.progress
        state = "finished" if self.done() else "running"
        return (
            f"SweepHandle({self.sweep_id}, {state}, {p.done}/{p.total} done, "
            f"{p.failed} failed, ${p.cost:.2f})"
        )
