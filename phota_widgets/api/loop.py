"""A private event loop on a daemon thread: where all API work runs.

Blocking calls from a notebook cell hand their coroutine to this loop and wait for it, so the sync
client works inside Jupyter's own running loop without patching asyncio. Widgets submit work here
and return at once, so the kernel never blocks.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class BackgroundLoop:
    """An asyncio loop running forever on its own daemon thread."""

    def __init__(self, name: str = "phota-loop") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop (started on first use).

        Raises:
            RuntimeError: the loop was stopped (its owner was closed).
        """
        with self._lock:
            if self._stopped:
                raise RuntimeError(f"{self._name} was stopped: its session or client is closed")
            if self._loop is None or self._loop.is_closed():
                self._start()
            assert self._loop is not None
            return self._loop

    def _start(self) -> None:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._thread = threading.Thread(target=run, name=self._name, daemon=True)
        self._thread.start()
        ready.wait()
        self._loop = loop

    @property
    def in_loop_thread(self) -> bool:
        """Whether the caller runs on this loop's thread."""
        return self._thread is not None and threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule a coroutine on the loop; returns at once with a thread-safe future."""
        try:
            loop = self.loop
        except RuntimeError:
            coro.close()
            raise
        return asyncio.run_coroutine_threadsafe(coro, loop)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the loop and wait for it (an interrupted wait cancels it).

        Raises:
            RuntimeError: when called from the loop's own thread (it would wait on itself).
        """
        if self.in_loop_thread:
            coro.close()
            raise RuntimeError(
                "a blocking Phota call was made from the background loop itself; "
                "await the AsyncPhotaClient method instead"
            )
        future = self.submit(coro)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def stop(self) -> None:
        """Stop the loop and wait for its thread to end."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
            self._stopped = True
        if loop is None or loop.is_closed():
            return
        if thread is not None and thread.is_alive():
            cancelled = asyncio.run_coroutine_threadsafe(_cancel_all(), loop)
            with contextlib.suppress(Exception):
                cancelled.result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=5)
        if not loop.is_running():
            loop.close()


async def _cancel_all() -> None:
    """Cancel every other task on the running loop and let them finish unwinding."""
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=3)


_shared: BackgroundLoop | None = None
_shared_lock = threading.Lock()


def shared_loop() -> BackgroundLoop:
    """The process-wide loop used by clients that were not given one."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = BackgroundLoop("phota-shared-loop")
        return _shared
