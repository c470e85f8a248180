"""How many jobs a session runs at once: a limit that finds the API's capacity by itself.

Nobody knows an API key's limits in advance, so the limit is learned the way TCP learns a link's:

* **Slow start.** From the starting limit (what was learned for this backend before, else
  ``DEFAULT_START``), every call that succeeds adds one slot, so the limit doubles each round of
  calls, until the first 429 or a rise in latency.
* **Cut.** A 429 on a submit sets the limit to the jobs the server was holding when it refused
  (its cap, as seen from here), unless the server took more of ours at once lately (then it
  was a request rate); a 429 on a poll (too many requests, not jobs) and a rise in latency
  (calls of the same settings taking ``RISE`` times their usual time: the server queues) cuts
  it by ``BETA``. One cut per round: answers to calls started before the last cut do not cut
  again.
* **Grow again.** After a cut to the server's cap on jobs (a 429 on a submit while the server
  held about as many of ours as the limit), the limit grows by one slot every ``PROBE_ROUNDS``
  rounds without trouble, so a raised cap is found again while 429s stay rare; after any other
  cut (too many requests), by one slot a round, as TCP does.
* **Retry-After** holds every new call of the session until it has passed, not only the retry
  of the call that was refused. After a 429 for the server's cap on jobs, one exception: a job of
  ours that ends frees a place the server counts for us, so a new call may take it (the session
  never holds more jobs there than when it was refused). The refused submit gives its slot back
  while it waits, and takes one again before it is sent anew.

``max_concurrency`` is the ceiling; ``adaptive=False`` keeps a fixed limit (a plain semaphore).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

from phota_widgets.store.errors import StoreError

if TYPE_CHECKING:
    from phota_widgets.store import RunStore
from phota_widgets.session.pacing import RequestPacer

logger = logging.getLogger("phota_widgets.concurrency")  # a documented name: kept

DEFAULT_START = 4
"""The starting limit when nothing was learned for this backend."""
BETA = 0.7
"""The share of the limit kept when latency rises."""
RISE = 1.8
"""A call taking this many times its settings' usual time counts as a rise in latency."""
PROBE_ROUNDS = 8
"""After the first cut, rounds (a limit's worth of successes) between two one-slot probes."""
PEAK_SECONDS = 30.0
"""How long the most jobs the server held at once is remembered (a cap may come down)."""
USUAL_OF = 5
"""Successes of the same settings remembered for their usual (lowest recent) time."""


ADAPTIVE_CEILING = 32
"""The most calls at once an adaptive limit grows to when no ``max_concurrency`` is given."""


@dataclass
class Ticket:
    """One call's hold on a slot: when it started, whether the server has accepted it."""

    started: float
    accepted: bool = False
    parked: bool = False
    """Refused for the server's cap on jobs: waiting for its retry without holding a slot."""
    paced: float = 0.0
    """Seconds its requests waited for their turn under the session's pace (not the API's
    latency: left out of the time that tells a rise)."""


@dataclass
class AdaptiveLimit:
    """An asyncio limit on calls at once that adapts to 429s and latency (see module doc).

    Use ``async with limit.slot() as ticket`` around a call, tell it ``accepted(ticket)`` when the
    server took the call, then ``succeeded(ticket, key, seconds)`` or ``rate_limited(...)``.
    Made and used on one event loop (the session's).
    """

    start: int = DEFAULT_START
    ceiling: int | None = None
    adaptive: bool = True
    on_change: Callable[[int, str], None] | None = None
    clock: Callable[[], float] = time.monotonic
    limit: float = field(init=False)
    threshold: float = field(init=False, default=math.inf)
    paused_until: float = field(init=False, default=0.0)
    rate_limited_count: int = field(init=False, default=0)
    _in_flight: int = field(init=False, default=0)
    _accepted: int = field(init=False, default=0)
    _peak: int = field(init=False, default=0)
    """The most jobs of ours the server held at once lately (its cap on jobs is above)."""
    _peak_at: float = field(init=False, default=-math.inf)
    _last_cut: float = field(init=False, default=-math.inf)
    _replacing: bool = field(init=False, default=False)
    _freed: int = field(init=False, default=0)
    _probing: bool = field(init=False, default=False)
    _usual: dict[str, deque[float]] = field(init=False, default_factory=dict)
    _changed: asyncio.Event | None = field(init=False, default=None)
    pacer: RequestPacer = field(init=False, default_factory=RequestPacer)
    """Spaces keyed requests once the API refused too many (see
    :mod:`phota_widgets.session.pacing`)."""

    def __post_init__(self) -> None:
        if self.start < 1 or (self.ceiling is not None and self.ceiling < 1):
            raise ValueError("a concurrency limit must be at least 1")
        self.limit = float(min(self.start, self.ceiling or self.start))

    @property
    def current(self) -> int:
        """Calls allowed at once now."""
        return max(1, int(self.limit))

    @property
    def in_flight(self) -> int:
        """Calls holding a slot now."""
        return self._in_flight

    def slot(self, taken: Ticket | None = None) -> _Slot:
        """An async context manager holding one slot (waits for one, and for any Retry-After);
        with ``taken`` (from :meth:`try_acquire`), that slot, already held."""
        return _Slot(self, taken)

    def try_acquire(self) -> Ticket | None:
        """Take a slot at once if one is free and no Retry-After holds new calls (else None)."""
        if self.paused_until > self.clock() or self._in_flight >= self.current:
            return None
        self._in_flight += 1
        return Ticket(started=self.clock())

    async def acquire(self) -> Ticket:
        """Wait for a free slot and for any session-wide Retry-After, then take the slot."""
        await self._take()
        return Ticket(started=self.clock())

    async def resume(self, ticket: Ticket) -> None:
        """Take a slot again for a parked ticket (a refused submit about to be sent anew)."""
        if ticket.parked:
            await self._take()
            ticket.parked = False
            ticket.started = self.clock()

    async def _take(self) -> None:
        """Wait until a slot is free and no Retry-After holds this call, then count it."""
        while True:
            wait = self.paused_until - self.clock()
            paused = wait > 0
            if paused and not (self._replacing and self._freed > 0):
                await self._wait_change(wait)  # a job of ours ending may free a place sooner
                continue
            if self._in_flight < self.current:
                self._in_flight += 1
                if paused:
                    self._freed -= 1  # replaces a job of ours that ended
                return
            await self._wait_change()

    def release(self, ticket: Ticket) -> None:
        """Give the slot back."""
        if not ticket.parked:
            self._in_flight -= 1
        if ticket.accepted:
            self._accepted -= 1
            if self._replacing and self.paused_until > self.clock():
                self._freed += 1  # the server holds one job fewer of ours: a place to refill
        self._notify()

    def accepted(self, ticket: Ticket) -> None:
        """The server took the call (it now counts against the server's cap)."""
        if not ticket.accepted:
            ticket.accepted = True
            self._accepted += 1
            now = self.clock()
            if self._accepted >= self._peak or now - self._peak_at > PEAK_SECONDS:
                self._peak, self._peak_at = self._accepted, now

    def succeeded(self, ticket: Ticket, key: str, seconds: float) -> None:
        """A call of settings ``key`` ended well after ``seconds``: grow, or cut on a rise."""
        if not self.adaptive:
            return
        seconds = max(0.0, seconds - ticket.paced)  # our own pace's wait is no API latency
        usual = self._usual.setdefault(key, deque(maxlen=USUAL_OF))
        rose = len(usual) >= 2 and seconds > RISE * min(usual)
        usual.append(seconds)
        if ticket.started < self._last_cut:
            return  # started before the last cut: says nothing about the new limit
        if rose:
            self._cut(self.limit * BETA, f"latency rose ({seconds:.2f}s)")
        elif self.pacer.holding_back():
            return  # the pace, not the limit, holds calls back: more slots would only queue
        elif self.limit < self.threshold:
            self._set(self.limit + 1, "slow start")
        else:
            rounds = PROBE_ROUNDS if self._probing else 1
            self._set(self.limit + 1 / (self.limit * rounds), "probe")

    def rate_limited(
        self, ticket: Ticket | None, retry_after: float | None, sent_at: float | None = None
    ) -> None:
        """A 429: hold new calls for ``Retry-After``, and cut.

        Refused before the server took the call (a submit): the jobs it was holding are its cap
        as seen from here, so the limit becomes that (halved when it held none). Refused after
        (a poll: too many requests, not jobs): the limit shrinks by ``BETA``.
        """
        self.rate_limited_count += 1
        if retry_after:
            if self.paused_until <= self.clock():
                self._freed = 0
            self.paused_until = max(self.paused_until, self.clock() + retry_after)
        on_poll = ticket is None or ticket.accepted  # not a submit: too many requests, surely
        holding = self._accepted
        job_cap = not on_poll and self.pacer.rate is None
        job_cap = job_cap and holding >= max(1.0, math.floor(self.limit * BETA))
        # a cap on jobs refuses only at it: refused while holding fewer than the server took
        # lately (one fewer allowed: a job of ours may have ended as the submit flew), a request
        # rate was met instead
        job_cap = job_cap and holding >= self._peak - 1
        self._replacing = job_cap  # any other 429 holds every new call until Retry-After
        if job_cap and ticket is not None and not ticket.parked:
            ticket.parked = True  # its retry waits without a slot, and takes one again
            self._in_flight -= 1
            self._notify()
        paced = self.pacer.rate is not None
        if on_poll or paced or not job_cap:
            self.pacer.refused(sent_at)  # a request rate met: paced (whatever the round)
        else:
            self.pacer.refused_for_jobs(sent_at)
        if not paced and self.pacer.rate is not None:
            # a request rate, then: the submits refused before were that too, not a cap on
            # jobs; the limit grows a slot a round again while the pace does not hold calls
            self._probing = self._replacing = False
        if paced or not self.adaptive:
            return  # paced already: the pace answers a request rate, not fewer calls at once
        if ticket is not None and ticket.started < self._last_cut:
            return
        if on_poll:
            self._cut(self.limit * BETA, "429 on a poll: too many requests")
        elif job_cap:
            self._cut(holding, "429 on a submit: the server's cap on jobs", probe=True)
        else:  # the server held few of ours, or a request rate was met: not a cap on jobs
            self._cut(self.limit * BETA, "429 on a submit: too many requests")

    def start_from(self, learned: int | None) -> str:
        """Start from what was learned for this backend (else the default); says which."""
        self.threshold, self._probing, self._last_cut = math.inf, False, -math.inf
        if learned is None or not self.adaptive:
            self.limit = float(min(self.start, self.ceiling or self.start))
            if not self.adaptive:
                self.limit = float(self.ceiling or self.start)
                return f"a fixed limit of {self.current} calls at once"
            return f"starting at {self.current} calls at once: nothing learned for this backend yet"
        self.limit = float(min(learned, self.ceiling or learned))
        self.threshold = self.limit  # near the cap already: grow slowly, not by doubling
        self._probing = True
        return f"starting at {self.current} calls at once, as learned for this backend"

    def worth_keeping(self) -> int | None:
        """The limit to start from next time: known after a cut, or grown past the start."""
        if not self.adaptive:
            return None
        if math.isfinite(self.threshold) or self.current > self.start:
            return self.current
        return None

    def _cut(self, value: float, why: str, probe: bool = False) -> None:
        """Cut to ``value``; after a cut to the server's known cap growth is a slow probe,
        after any other it is TCP's additive one slot a round."""
        self._last_cut = self.clock()
        value = max(1.0, math.floor(value))
        self.threshold = value
        self._probing = probe
        self._set(value, why)

    def _set(self, value: float, why: str) -> None:
        before = self.current
        self.limit = max(1.0, min(value, float(self.ceiling) if self.ceiling else value))
        if self.current != before:
            logger.info("concurrency %d -> %d (%s)", before, self.current, why)
            if self.on_change is not None:
                self.on_change(self.current, why)
        self._notify()

    async def _wait_change(self, timeout: float | None = None) -> None:
        if self._changed is None:
            self._changed = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None


class _Slot:
    def __init__(self, owner: AdaptiveLimit, taken: Ticket | None = None) -> None:
        self.owner = owner
        self.ticket: Ticket | None = taken
        self._token: contextvars.Token[tuple[AdaptiveLimit, Ticket] | None] | None = None

    async def __aenter__(self) -> Ticket:
        if self.ticket is None:
            self.ticket = await self.owner.acquire()
        self._token = _current.set((self.owner, self.ticket))
        return self.ticket

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.ticket is not None and self._token is not None
        _current.reset(self._token)
        self.owner.release(self.ticket)


def start_learned(limit: AdaptiveLimit, store: RunStore, backend: str) -> str:
    """Start ``limit`` from what ``store`` learned of ``backend`` (else the default); logged."""
    known = store.backend_limits.get(backend)
    why = limit.start_from(known[0] if known else None)
    logger.info("%s: %s", backend, why)
    return why


def keep_learned(store: RunStore, backend: str, learned: int | None) -> None:
    """Keep what was learned of ``backend``'s capacity, for the next session on ``store``."""
    if learned is None or store.read_only:
        return
    with contextlib.suppress(StoreError):  # a store that cannot take it now: learned anew
        store.backend_limits.put(backend, learned)


def session_limit(max_concurrency: int | None, adaptive: bool) -> AdaptiveLimit:
    """A session's limit: ``max_concurrency`` its ceiling (default 32 adaptive, 4 fixed).

    Raises:
        ValueError: ``max_concurrency`` is below 1.
    """
    if max_concurrency is not None and max_concurrency < 1:
        raise ValueError("max_concurrency must be at least 1")
    if max_concurrency is None:
        max_concurrency = ADAPTIVE_CEILING if adaptive else DEFAULT_START
    limit = AdaptiveLimit(start=DEFAULT_START, ceiling=max_concurrency, adaptive=adaptive)
    if not adaptive:
        limit.limit = float(max_concurrency)
    return limit


_current: contextvars.ContextVar[tuple[AdaptiveLimit, Ticket] | None] = contextvars.ContextVar(
    "phota_concurrency_slot", default=None
)


def current_slot() -> tuple[AdaptiveLimit, Ticket] | None:
    """The limit and ticket of the slot the running task holds (None outside a slot)."""
    return _current.get()
