"""Noticing changes another process makes to a (shared) run store, without blocking the kernel.

A :class:`StoreWatcher` polls a cheap fingerprint of the store (a handful of counts in one
query) on the session's background loop, the query itself in a worker thread, and calls its
listeners when the fingerprint changes. It runs only while someone listens.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from phota_widgets.api.loop import BackgroundLoop
    from phota_widgets.store import RunStore

logger = logging.getLogger("phota_widgets")

WATCH_ENV = "PHOTA_WATCH_SECONDS"
DEFAULT_INTERVAL = 5.0
"""Seconds between looks at the store (``PHOTA_WATCH_SECONDS`` overrides it)."""


def watch_interval() -> float:
    """The polling interval: ``PHOTA_WATCH_SECONDS`` if it is a positive number, else 5 s."""
    with contextlib.suppress(ValueError):
        value = float(os.environ.get(WATCH_ENV, ""))
        if value > 0:
            return value
    return DEFAULT_INTERVAL


class StoreWatcher:
    """Calls listeners (on the session's loop) whenever the run store's content changes.

    Args:
        store: the run store to watch.
        loop: the session's background loop (the polling task runs there).
        interval: seconds between looks (default :func:`watch_interval`).
    """

    def __init__(
        self, store: RunStore, loop: BackgroundLoop, interval: float | None = None
    ) -> None:
        self.store = store
        self.loop = loop
        self.interval = watch_interval() if interval is None else interval
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._task: concurrent.futures.Future[None] | None = None
        self._last: tuple[Any, ...] | None = None

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` after each change; returns the function that unsubscribes."""
        with self._lock:
            self._listeners.append(listener)
            if self._task is None or self._task.done():
                self._task = self.loop.submit(self._poll())

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def stop(self) -> None:
        """Stop polling and forget every listener."""
        with self._lock:
            self._listeners.clear()
            task, self._task = self._task, None
        if task is not None:
            task.cancel()

    async def _poll(self) -> None:
        while True:
            with self._lock:
                listeners = list(self._listeners)
            if not listeners:
                return
            try:
                now = await asyncio.to_thread(self.store.fingerprint)
            except Exception as exc:  # a store briefly unreachable: try again next time
                logger.warning("watching the run store failed: %s", exc)
            else:
                changed = self._last is not None and now != self._last
                self._last = now
                for listener in listeners if changed else []:
                    try:
                        listener()
                    except Exception:
                        logger.exception("a run store listener failed")
            await asyncio.sleep(self.interval)
