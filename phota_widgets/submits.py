"""Submits that no cancel can lose: once sent, their answer is waited for and kept.

A cancel (a Cancel click, Ctrl-C, ``SweepHandle.cancel()``, a closing session) may come while a
submit is on the wire: the server may already have accepted (and charged) the job. The session
then lets the submit finish (it is shielded from every further cancel) and records what it
became. These are the parts of that which do not need the session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from phota_widgets.api.errors import (
    ConnectionError,
    NotSentError,
    PhotaError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
)

T = TypeVar("T")

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
