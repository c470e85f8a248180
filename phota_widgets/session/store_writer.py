"""One thread that does a session's run-store work, so its commits never block the session's loop.

Every store commit is durable (it waits for the disk), and a commit made on the session's event
loop would stall every other run's polls and downloads meanwhile. The session hands its store
calls to this thread instead and awaits each one before going on, so nothing is less durable
than before (a run's job key is on disk before its submit is sent, each output as soon as it
arrives) and the calls happen in the order they were made.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class StoreWriter:
    """Runs store calls one at a time, in order, on a thread of its own.

    Args:
        name: the thread's name (seen in profilers and tracebacks).
    """

    def __init__(self, name: str = "phota-store") -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=name)

    def post(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> concurrent.futures.Future[T]:
        """Queue ``fn(*args, **kwargs)`` after every call queued before it; returns at once.

        Raises:
            RuntimeError: the writer was closed.
        """
        return self._pool.submit(functools.partial(fn, *args, **kwargs))

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Await ``fn(*args, **kwargs)`` made on the writer's thread, after earlier calls.

        A cancel does not drop the call: once queued it is made, and the cancel is raised only
        after it has landed, however many cancels come meanwhile (so a job id being recorded is
        never lost to a cancel, and a cancelled run's last write is on disk when it ends).
        """
        future = asyncio.wrap_future(self.post(fn, *args, **kwargs))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            while not future.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait([future])
            raise

    def close(self) -> None:
        """Finish every queued call, then stop the thread (idempotent)."""
        self._pool.shutdown(wait=True)
