"""Pacing a session's requests under a request-rate limit it has to find by itself.

A cap on jobs is met by fewer calls at once (:mod:`phota_widgets.session.concurrency`); a cap on
requests per second is met by spacing the requests. Until the API first answers 429 for too many
requests, nothing is paced (a few stray 429s are not a limit). Then the pace becomes ``KEEP``
of the rate the API was taking (the keyed requests it answered, not refused, in the last second),
and every keyed request waits its turn. Once paced, 429s that again say "a rate limit" cut
the pace (once a second at most; stray ones never do: a pace cut by every stray 429 would
spiral down), and it grows only after ``PROBE_SECONDS`` without such a cut:
by ``PROBE_STEP`` while well below the rate last refused, by ``NEAR_STEP`` near or past it, so
a raised limit is found again and the same one is met seldom. Download links carry no key and
are never paced.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

KEEP = 0.9
"""The share of the refused rate a session keeps to."""
PROBE_SECONDS = 2.0
"""Seconds without a request-rate 429 before the pace grows."""
PROBE_STEP = 1.1
"""How much the pace grows at each probe, while well below the rate last refused."""
NEAR_STEP = 1.02
"""How much it grows at each probe near or past the rate last refused (found again slowly, so
the limit is met seldom: each time costs a few 429s)."""
NEAR = 0.97
"""Within this share of the rate last refused, the pace grows by ``NEAR_STEP``."""
WINDOW = 1.0
"""Seconds over which the refused rate is counted."""
MIN_SHARE = 0.1
"""The share of the last second's answers that must be 429s before they say "a rate limit":
a few stray 429s (an API's passing hiccups) never slow a session down."""
MIN_REFUSED = 3
"""And at least this many 429s in the last second (a share of very few answers says little)."""


@dataclass
class RequestPacer:
    """Spaces keyed requests once a request-rate limit was met (asyncio, one loop)."""

    clock: Callable[[], float] = time.monotonic
    rate: float | None = None
    """Requests per second now allowed (None: not paced)."""
    _taken: deque[float] = field(default_factory=deque, repr=False)
    _refused: deque[float] = field(default_factory=deque, repr=False)
    _next: float = field(default=0.0, repr=False)
    _last_hit: float = field(default=0.0, repr=False)
    _last_cut: float = field(default=0.0, repr=False)
    _refused_rate: float = field(default=0.0, repr=False)

    def refused(self) -> None:
        """The API answered 429 for too many requests: pace below the rate just sent."""
        now = self.clock()
        self._refused.append(now)
        self._forget(now)
        refused = len(self._refused)
        taken = max(1.0, len(self._taken) / WINDOW)
        if refused < MIN_REFUSED or refused < MIN_SHARE * (refused + len(self._taken)):
            return  # stray 429s, not a limit being met (paced or not: no spiral down)
        if self.rate is None:
            self._refused_rate = taken
            self.rate = max(0.5, KEEP * taken)
            self._last_cut = now
        elif now - self._last_cut >= WINDOW:  # paced, and still refused: slower
            self._refused_rate = min(self.rate, taken)
            self.rate = max(0.5, self._refused_rate * KEEP)
            self._last_cut = now
        self._last_hit = now  # no growth until a quiet while has passed

    def taken(self) -> None:
        """The API answered a keyed request (not a 429): it counts toward the rate it takes."""
        now = self.clock()
        self._taken.append(now)
        self._forget(now)

    async def wait(self) -> float:
        """Wait for this request's turn (at once when not paced); the seconds waited."""
        now = self.clock()
        if self.rate is None:
            return 0.0
        if now - self._last_hit >= PROBE_SECONDS:
            near = self.rate * PROBE_STEP > NEAR * self._refused_rate
            self.rate *= NEAR_STEP if near else PROBE_STEP
            self._last_hit = now
        turn = max(now, self._next)
        self._next = turn + 1.0 / self.rate
        if turn <= now:
            return 0.0
        await asyncio.sleep(turn - now)
        return turn - now

    def holding_back(self) -> bool:
        """Whether requests are queued for their turn now (the pace is what limits calls)."""
        return self.rate is not None and self._next > self.clock() + 1.0 / self.rate

    def _forget(self, now: float) -> None:
        for seen in (self._taken, self._refused):
            while seen and seen[0] < now - WINDOW:
                seen.popleft()
