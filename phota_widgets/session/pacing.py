"""Pacing a session's requests under a request-rate limit it has to find by itself.

A cap on jobs is met by fewer calls at once (:mod:`phota_widgets.session.concurrency`); a cap on
requests per second is met by spacing the requests. Until the API first answers 429 for too many
requests, nothing is paced. Then the pace becomes ``KEEP`` of the rate the API was taking, and
every keyed request waits its turn: for ``PROBE_SECONDS`` only while it was one 429 (a stray one,
maybe: the calls it held up are not all sent at once when its ``Retry-After`` passes), for good
once ``MIN_REFUSED`` 429s and ``MIN_SHARE`` of the answers in a second say a limit is met.

The rate taken is counted by when requests were *sent*: the ones admitted of those sent in the
second before the refused one (counting answers would miss those still unanswered: many, while
the server is busy, which once set a pace of half the limit). A 429 for a request sent before
the pace for one 429 began says a limit is met, but nothing of that pace: it is kept.

Once paced, 429s cut the pace (once a second at most). Many 429s in a second (a limit well
past) set it to ``KEEP`` of the rate taken meanwhile; one 429 cuts it by ``CUT``, never below
``FLOOR`` of the last pace set from a rate measured: stray 429s (an API's passing hiccups, at
any pace) cost a bounded share of speed and never spiral it down. A 429 soon after a pace for
one (``REMEMBER_SECONDS``) paces at most at the rate measured then: after a quiet while unpaced
an API lets a burst through, and the second before counts it. The pace grows again after
``PROBE_SECONDS`` without a 429: by ``PROBE_STEP`` (up to ``NEAR`` of it) while well below the
pace that last met one, by ``NEAR_STEP`` near or past it, so a raised limit is found again and
the same one is met seldom. Download links carry no key and are never paced.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger("phota_widgets.concurrency")

KEEP = 0.9
"""The share of the refused rate a session keeps to."""
PROBE_SECONDS = 2.0
"""Seconds without a request-rate 429 before the pace grows."""
PROBE_STEP = 1.1
"""How much the pace grows at each probe, while well below the rate last refused."""
NEAR_STEP = 1.01
"""How much it grows at each probe near or past the pace that last met a 429 (found again
slowly, so the limit is met seldom: each time costs a 429)."""
NEAR = 0.95
"""Within this share of the pace that last met a 429, the pace grows by ``NEAR_STEP``."""
CUT = 0.95
"""The share of the pace kept after a 429 once paced."""
FLOOR = 0.8
"""Single 429s never take the pace below this share of the last pace set from a rate the API
took (a bound on what stray 429s cost)."""
WINDOW = 1.0
"""Seconds over which the refused rate is counted."""
MIN_SHARE = 0.1
"""The share of the last second's answers that must be 429s before they say "a rate limit"
for good: a stray 429 (an API's passing hiccup) paces a session for a while only."""
REMEMBER_SECONDS = 10.0
"""A 429 this soon after a pace for one 429 began says a limit is met (one stray 429 is rare,
two close together are not a hiccup)."""
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
    _sent: deque[float] = field(default_factory=deque, repr=False)
    _refused_sent: deque[float] = field(default_factory=deque, repr=False)
    _next: float = field(default=0.0, repr=False)
    _last_hit: float = field(default=0.0, repr=False)
    _last_cut: float = field(default=0.0, repr=False)
    _refused_rate: float = field(default=0.0, repr=False)
    _floor: float = field(default=0.5, repr=False)
    _provisional: bool = field(default=False, repr=False)
    _paced_at: float = field(default=-math.inf, repr=False)

    def sent(self) -> float:
        """A keyed request leaves now (remembered a while); the time it left."""
        now = self.clock()
        self._sent.append(now)
        return now

    def refused_for_jobs(self, sent_at: float | None = None) -> None:
        """A 429 read as the API's cap on jobs: not paced for, only not counted as admitted."""
        self._refused_sent.append(self.clock() if sent_at is None else sent_at)

    def refused(self, sent_at: float | None = None) -> None:
        """The API answered 429 for too many requests (to one sent at ``sent_at``, default now):
        pace below the rate just sent."""
        now = self.clock()
        sent_at = now if sent_at is None else sent_at
        self._refused.append(now)
        self._refused_sent.append(sent_at)
        self._forget(now)
        refused = len(self._refused)
        limit_met = refused >= MIN_REFUSED and refused >= MIN_SHARE * (refused + len(self._taken))
        again = now - self._paced_at <= REMEMBER_SECONDS  # soon after a while paced for one
        if self.rate is None or self._provisional:
            limit_met = limit_met or again  # a limit, then, not a stray 429
            if self.rate is None:
                self._paced_at = now
        if self.rate is None or (self._provisional and limit_met):
            if self.rate is None or sent_at >= self._last_cut:  # sent at no pace, or this one
                taken = self._measured(sent_at)
                if self.rate is None and again:  # what it measured then, unless less now (a
                    taken = min(taken, self._refused_rate)  # quiet while lets a burst through)
                self._refused_rate = taken
                self.rate = max(0.5, KEEP * taken)
                self._floor = FLOOR * self.rate
                self._last_cut = now
            # else sent before the pace for one 429 began: a limit met, but no word on the pace
            self._provisional = not limit_met  # one 429 may be a stray one: paced a while
            logger.info(
                "pacing requests at %.1f/s (%s)",
                self.rate,
                "a request-rate limit met" if limit_met else "a 429: for a while",
            )
        elif not self._provisional and now - self._last_cut >= WINDOW:  # still 429s: slower
            before = self.rate
            if limit_met:  # many: the pace is well past the limit; what it took is the limit
                self._refused_rate = min(self.rate, self._measured(sent_at))
                self.rate = max(0.5, min(self.rate * CUT, KEEP * self._refused_rate))
                self._floor = FLOOR * self.rate
            else:  # one: a little past it, or a stray one (never below the floor for those)
                self._refused_rate = self.rate
                self.rate = max(self._floor, self.rate * CUT)
            self._last_cut = now
            logger.info("pace %.1f -> %.1f requests/s (429s)", before, self.rate)
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
        if self._provisional and now - self._last_hit >= PROBE_SECONDS:
            self.rate = None  # a stray 429, it seems: no limit was met after all
            logger.info("no longer pacing requests (no 429 since)")
            return 0.0
        if now - self._last_hit >= PROBE_SECONDS:
            near = NEAR * self._refused_rate
            if self.rate < near:  # well below what last met a 429: back near it fast
                self.rate = min(self.rate * PROBE_STEP, near)
            else:  # near or past it: slowly (a raised limit is found, the same met seldom)
                self.rate *= NEAR_STEP
            self._last_hit = now
            logger.debug("pace grows to %.1f requests/s (no 429 lately)", self.rate)
        turn = max(now, self._next)
        self._next = turn + 1.0 / self.rate
        if turn <= now:
            return 0.0
        await asyncio.sleep(turn - now)
        return turn - now

    @property
    def limit_met(self) -> bool:
        """Whether a request-rate limit was met for sure (paced for good, not for a while)."""
        return self.rate is not None and not self._provisional

    def holding_back(self) -> bool:
        """Whether requests are queued for their turn now (the pace is what limits calls)."""
        return self.rate is not None and self._next > self.clock() + 1.0 / self.rate

    def _measured(self, sent_at: float) -> float:
        """Requests a second the API admitted of those sent in the second before ``sent_at``."""
        return max(1.0, self._admitted(sent_at - WINDOW, sent_at) / WINDOW)

    def _admitted(self, start: float, end: float) -> int:
        """Keyed requests sent in [start, end) and not refused (as far as known)."""
        sent = sum(start <= t < end for t in self._sent)
        return sent - sum(start <= t < end for t in self._refused_sent)

    def _forget(self, now: float) -> None:
        for seen in (self._taken, self._refused):
            while seen and seen[0] < now - WINDOW:
                seen.popleft()
        for sent in (self._sent, self._refused_sent):
            while sent and sent[0] < now - 3 * WINDOW:
                sent.popleft()
