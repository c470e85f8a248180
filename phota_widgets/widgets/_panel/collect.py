"""Kept runs: work the server took that a panel still has to collect, without paying twice.

A run whose connection dropped (or that was cancelled once the server had taken it) stays
"submitted" in the run store; ``Session.aresume`` collects every such run of the backend. These
helpers tell a panel whether its run is kept and collect it, all on the session's loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as w

from phota_widgets import session as session_module
from phota_widgets.api.results import Result
from phota_widgets.widgets._common import styled, ui_await, ui_call

if TYPE_CHECKING:
    from phota_widgets.session import Session
    from phota_widgets.store import RunRecord, RunStore
    from phota_widgets.widgets._panel.panel import CapabilityPanel

SETTLE_POLL = 0.1
"""Seconds between looks at a cancelled run while its submit may still land."""

KEPT_TEXT = "interrupted: the job is kept and collected without paying twice — don't run it again"
"""A panel's status after a dropped connection left its run collectable."""


def is_kept(record: RunRecord) -> bool:
    """Whether a run was submitted and can still be collected (a job id or its key is known)."""
    return record.status == "submitted" and bool(record.job_id or record.client_request_id)


def is_settled(record: RunRecord) -> bool:
    """Whether a cancelled run has ended on the client: refused, cancelled, or a job kept.

    A "submitted" run without a job id is still waiting for its submit to land (a cancel lets
    it land, so an accepted job is kept).
    """
    return record.status not in ("running", "submitted") or record.job_id is not None


def is_transient(exc: BaseException) -> bool:
    """Whether a failure may have left work running on the server (dropped, timed out, 5xx)."""
    return isinstance(exc, session_module.TRANSIENT_ERRORS)


async def wait_settled(store: RunStore, run_id: str) -> RunRecord:
    """The run once :func:`is_settled` holds (or the submit's grace time and more has passed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + session_module.SUBMIT_GRACE + 5.0
    record = store.get(run_id)
    while not is_settled(record) and loop.time() < deadline:
        await asyncio.sleep(SETTLE_POLL)
        record = store.get(run_id)
    return record


async def acollect(session: Session, run_id: str) -> tuple[Result | None, RunRecord]:
    """Collect every kept run of the session's backend; hand back this one's Result.

    Returns:
        The run's Result (None while it cannot be collected yet, or when it failed) and its
        record as it stands afterwards. A run collected meanwhile elsewhere (e.g. by
        ``session.resume()`` in a cell) is read back from the run store.
    """
    results = await session.aresume()
    record = await asyncio.to_thread(session.store.get, run_id)
    found = next((r for r in results if r.run_id == run_id), None)
    if found is None and record.status == "succeeded":
        found = await asyncio.to_thread(session.result, run_id)
    return found, record


def not_collected(record: RunRecord) -> str:
    """Why a run was not collected: still kept (try again later) or ended without a result."""
    if is_kept(record):
        why = f" ({record.note})" if record.note else ""
        return f"not collected yet{why}: try again later"
    return f"cannot be collected: {record.error or record.status}"


class Collector:
    """The Collect part of a capability panel: which of its runs is kept, and fetching it.

    It learns each run's id as the session records it, decides after a cancel or a dropped
    connection whether the server kept the job, and then shows the panel's Collect button.
    Its widget writes run on the UI thread, like the rest of the panel.

    Args:
        panel: the panel it belongs to (its session, status, error box and grid are used).

    Attributes:
        button: the Collect button (hidden while nothing is kept).
        kept: the id of the run Collect fetches, or None.
    """

    def __init__(self, panel: CapabilityPanel) -> None:
        self.panel = panel
        self.kept: str | None = None
        self._lock = threading.Lock()
        self._run_ids: dict[int, str] = {}  # run number -> run id, once recorded
        self._unrecorded: set[int] = set()  # runs that ended before their id was known
        self.button = styled(
            w.Button(
                description="Collect",
                icon="download",
                tooltip="fetch the kept job's images (nothing is paid again)",
                disabled=True,
                layout=w.Layout(width="auto", display="none"),
            ),
            "collect",
        )
        self.button.on_click(lambda _: self.collect())

    @property
    def _session(self) -> Session:
        return self.panel.session

    def recorder(self, number: int) -> Callable[[str], None]:
        """The ``on_recorded`` callback of run ``number`` (called on the session's loop)."""
        return functools.partial(self._recorded, number)

    def _recorded(self, number: int, run_id: str) -> None:
        with self._lock:
            self._run_ids[number] = run_id
            ended = number in self._unrecorded
        if ended:  # cancelled before its id was known: its submit may still land
            self._watch(number, run_id)

    def run_id(self, number: int) -> str | None:
        """The id of run ``number``, once the session recorded it."""
        with self._lock:
            return self._run_ids.get(number)

    # -- what a run left behind (on the UI thread) -------------------------------------------------

    def cancelled(self, number: int) -> str:
        """What a cancel of run ``number`` left behind, as far as the run store knows yet."""
        with self._lock:
            run_id = self._run_ids.get(number)
            if run_id is None:
                self._unrecorded.add(number)
        if run_id is None:
            return "cancelled"
        record = self._session.store.get(run_id)
        if not is_settled(record):
            self._watch(number, run_id)
            return "cancelled (checking whether the server already took the job…)"
        return self._cancel_text(record)

    def interrupted(self, number: int) -> bool:
        """After a dropped connection: whether run ``number`` is kept (Collect is offered)."""
        run_id = self.run_id(number)
        return run_id is not None and self._keep(self._session.store.get(run_id))

    def settle_button(self) -> None:
        """Enable Collect when a run is kept and none is under way."""
        self.button.disabled = self.kept is None or self.panel.running

    def _watch(self, number: int, run_id: str) -> None:
        """Say what a cancel left behind once its submit landed or was given up (any thread)."""

        async def settle() -> None:
            record = await wait_settled(self._session.store, run_id)
            ui_call(self._cancel_settled, number, record)

        with contextlib.suppress(RuntimeError):  # the session closed: nothing more to learn
            self._session.loop.submit(settle())

    def _cancel_settled(self, number: int, record: RunRecord) -> None:
        text = self._cancel_text(record)
        if self.panel.owns_status(number):
            self.panel.status.stop(f"{self.panel.endpoint} {text}")
            self.settle_button()

    def _cancel_text(self, record: RunRecord) -> str:
        if self._keep(record):
            return (
                "cancelled, but the job was already submitted: it finishes on the server, and "
                "Collect gets it without paying twice"
            )
        return "cancelled"

    def _keep(self, record: RunRecord) -> bool:
        if not is_kept(record):
            return False
        self.kept = record.run_id
        self.button.layout.display = None
        return True

    def _forget(self, run_id: str) -> None:
        if self.kept == run_id:
            self.kept = None
            self.button.layout.display = "none"

    # -- collecting --------------------------------------------------------------------------------

    def collect(self) -> concurrent.futures.Future[Result | None]:
        """What Collect does: fetch the kept run on the session's loop and show it in the panel.

        ``session.aresume()`` collects every kept run of the backend; the panel shows its own.

        Returns:
            The future of the run's Result (None when nothing is kept, a run is under way, or
            it cannot be collected yet: the status says why).
        """
        run_id = self.kept
        if run_id is None or self.panel.running:
            idle: concurrent.futures.Future[Result | None] = concurrent.futures.Future()
            idle.set_result(None)
            return idle
        return self._session.loop.submit(self._acollect(run_id))

    async def _acollect(self, run_id: str) -> Result | None:
        await ui_await(self._collecting, run_id)
        try:
            result, record = await acollect(self._session, run_id)
            await ui_await(self._collected, run_id, result, record)
        except Exception as exc:  # the backend, the store, or the grid (a damaged image)
            await ui_await(self._failed, exc)
            return None
        return result

    def _collecting(self, run_id: str) -> None:
        self.button.disabled = True
        if not self.panel.running:
            self.panel.error.clear()
            self.panel.status.start(f"{self.panel.endpoint}: collecting run {run_id}…")

    def _collected(self, run_id: str, result: Result | None, record: RunRecord) -> None:
        if result is not None or not is_kept(record):
            self._forget(run_id)
        self.settle_button()
        panel = self.panel
        if panel.running:  # a newer run owns the grid and status (History lists this one)
            return
        if result is None:
            panel.status.stop(f"{panel.endpoint} run {run_id} {not_collected(record)}")
            return
        panel.grid.show_result(result).result()  # inline on the UI thread: a failure raises
        panel.result = result
        count = f"{len(result.images)} image(s)"
        panel.status.stop(f"{panel.endpoint} collected run {run_id}: {count}, paid once")

    def _failed(self, exc: BaseException) -> None:
        self.settle_button()
        if not self.panel.running:
            self.panel.error.show_error(exc)
            self.panel.status.stop(f"{self.panel.endpoint} collect failed")
