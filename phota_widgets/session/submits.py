"""Submits that no cancel can lose: once sent, their answer is waited for and kept.

A cancel (a Cancel click, Ctrl-C, ``SweepHandle.cancel()``, a closing session) may come while a
submit is on the wire: the server may already have accepted (and charged) the job. The session
then lets the submit finish (it is shielded from every further cancel) and records what it
became. These are the parts of that which do not need the session.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from phota_widgets.api.errors import (
    ConnectionError,
    NotSentError,
    PhotaError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
)

if TYPE_CHECKING:
    from phota_widgets.store import RunStore

T = TypeVar("T")
CANCELLED_UNSENT = "cancelled before it was sent (nothing was charged)"

TRANSIENT_ERRORS = (ConnectionError, RequestTimeoutError, RateLimitError, ServerError)
"""Failures after which submitted work may still finish on the server: keep it collectable
(:class:`NotSentError`, a ConnectionError too, is told apart first: it never left)."""

Landing = Literal["accepted", "not_sent", "refused", "unknown"]


@dataclass(frozen=True)
class Landed(Generic[T]):
    """What a submit came to: its value when accepted, else the reason.

    Attributes:
        kind: ``accepted`` (a job exists), ``not_sent`` (it never left: nothing charged),
            ``refused`` (the server answered no), ``unknown`` (it may have been accepted).
        value: the accepted job.
        why: the error, when it was not accepted.
    """

    kind: Landing
    value: T | None = None
    why: str | None = None


def landed(submit: asyncio.Future[T]) -> Landed[T]:
    """Classify a finished submit future."""
    if submit.cancelled():
        return Landed("unknown", why="its submit was stopped before an answer came")
    exc = submit.exception()
    if exc is None:
        return Landed("accepted", value=submit.result())
    if isinstance(exc, NotSentError):
        return Landed("not_sent", why=str(exc))
    if isinstance(exc, TRANSIENT_ERRORS) or not isinstance(exc, PhotaError):
        return Landed("unknown", why=str(exc))
    return Landed("refused", why=str(exc))


async def outlast_cancels(future: asyncio.Future[T], grace: float) -> bool:
    """Wait up to ``grace`` seconds for ``future``, whatever cancels arrive meanwhile.

    Never cancels ``future``. Returns whether it finished; the caller re-raises its own cancel.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while not future.done():
        left = deadline - loop.time()
        if left <= 0:
            return False
        try:
            await asyncio.wait({future}, timeout=left)
        except asyncio.CancelledError:  # one more cancel: the submit may be accepted already
            continue
    return True


class InFlight:
    """The submits on the wire now, so a closing session can let them land first."""

    def __init__(self) -> None:
        self._pending: set[asyncio.Future[object]] = set()

    def add(self, future: asyncio.Future[T]) -> None:
        """Track ``future`` until it is done."""
        tracked: asyncio.Future[object] = future  # type: ignore[assignment]
        self._pending.add(tracked)
        tracked.add_done_callback(self._pending.discard)

    async def settle(self, grace: float) -> None:
        """Wait (at most ``grace`` seconds in all, outlasting cancels) for every tracked submit."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        for future in list(self._pending):
            await outlast_cancels(future, max(0.0, deadline - loop.time()))


def on_landing(future: asyncio.Future[T], callback: Callable[[Landed[T]], None]) -> None:
    """Call ``callback`` with what ``future`` came to, once it is done (on the loop)."""
    future.add_done_callback(lambda done: callback(landed(done)))


def record_landing(store: RunStore, run_id: str, key: str, landed: Landed[Any], kept: str) -> None:
    """Record what a cancelled run's submit came to (on the store thread).

    Only a submit that never left (or that the server refused) ends the run; an accepted job is
    recorded, and anything that may have been accepted stays "submitted" with its key, so the
    next run re-sends the key (the server answers with the same job) or collects the job.

    Args:
        kept: the note of a kept run (how it is collected).
    """
    if landed.kind == "accepted":
        assert landed.value is not None
        store.record_job(run_id, landed.value.job_id, key)
        store.set_note(run_id, f"cancelled once accepted; {kept}")
    elif landed.kind == "not_sent":
        store.finish_run(run_id, status="cancelled", error=CANCELLED_UNSENT)
    elif landed.kind == "refused":
        store.finish_run(run_id, status="failed", error=landed.why)
    else:
        store.set_note(run_id, f"cancelled while its submit was out; {kept}")


def cancel_unsent(store: RunStore, run_id: str) -> None:
    """End a run cancelled before its submit was sent (its key may be recorded: unsent)."""
    record = store.get(run_id)
    if record.job_id is None and record.status in ("running", "submitted"):
        store.finish_run(run_id, status="cancelled", error=CANCELLED_UNSENT)


def cancel_recorded(store: RunStore, recording: concurrent.futures.Future[str]) -> None:
    """End a run cancelled while it was being recorded (queued after the record itself)."""
    if recording.exception() is None:
        cancel_unsent(store, recording.result())
