"""Holding an async submit at a chosen point, so tests can cancel it there (no sleeps).

A test arms a :class:`Hold` for a point; the next async submit that reaches the point waits there
(on the server's loop, without blocking other requests) until the test releases it:

- ``before_accept``: the request has arrived, no job exists yet (nothing is charged);
- ``after_accept``: the job exists (it is charged), the 202 answer is not yet sent.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Literal

HoldPoint = Literal["before_accept", "after_accept"]
HOLD_POINTS: tuple[HoldPoint, ...] = ("before_accept", "after_accept")
MAX_HOLD = 60.0
"""Seconds a held request waits at most: a forgotten hold never hangs the server."""


class Hold:
    """One armed hold: ``reached`` is set once a submit waits at its point; ``release()``
    lets it go."""

    def __init__(self, point: HoldPoint) -> None:
        self.point = point
        self.reached = threading.Event()
        self._released = threading.Event()

    def release(self) -> None:
        """Let the held submit go on (idempotent; fine before it arrived)."""
        self._released.set()

    def wait_reached(self, timeout: float) -> bool:
        """Wait until a submit is held here; False if none arrived in ``timeout`` seconds."""
        return self.reached.wait(timeout)

    async def _hold(self) -> None:
        self.reached.set()
        await asyncio.to_thread(self._released.wait, MAX_HOLD)


class SubmitHolds:
    """The holds armed on one server (thread-safe: tests arm them from their own thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[HoldPoint, Hold] = {}

    def arm(self, point: HoldPoint) -> Hold:
        """Hold the next async submit that reaches ``point``.

        Raises:
            ValueError: an unknown point, or one already armed.
        """
        if point not in HOLD_POINTS:
            raise ValueError(f"unknown hold point {point!r}; choose one of {HOLD_POINTS}")
        with self._lock:
            if point in self._armed:
                raise ValueError(f"a hold is already armed at {point!r}")
            hold = self._armed[point] = Hold(point)
        return hold

    async def at(self, point: HoldPoint) -> None:
        """Wait here if a hold is armed for ``point`` (it is used up)."""
        with self._lock:
            hold = self._armed.pop(point, None)
        if hold is not None:
            await hold._hold()
