"""When to poll a job: a schedule that follows the job's expected duration.

A job's expected duration is learned from the finished jobs of the same endpoint and settings
(the client's :class:`DurationBook`). Unknown, the schedule checks once quickly, then polls with
gaps of at most ``OVERSHOOT`` of the time elapsed (and never less than ``UNKNOWN_MIN_GAP``), so
the first job of a kind waits at most about 20% longer than it ran, in about a dozen polls for a
one-second job; the other jobs of that kind follow sparsely and are woken the moment it learns.
Known, a job sleeps until it is likely done, then polls with gaps of at most ``CLOSE`` of the
time elapsed: about 1.3 polls a job once learned.

"Likely done" is a wake time searched for like a boundary: each job whose first poll finds it
finished pulls the wake earlier, by steps that double while that goes on (from ``STEP`` to
``MAX_STEP`` of it); a job found still running puts it between the last poll that saw the job
running and the one that saw it done (by ``MAX_RISE`` at most, unless the job was seen running
later still), and the steps start small again. So about one job in four or five pays a
second poll, and the wake stays within a few percent of the real duration, and follows it when
it changes either way. A poll that finds a job done says only that it ended before then: a wake
learned from those times alone would only ever grow, and every job would wait for the slowest
poll seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any

FIRST_CHECK = 0.02
"""Seconds before the first poll: quick jobs (and resumed, finished ones) are seen at once."""
MIN_GAP = 0.005
"""The shortest pause between two polls of a job of known duration, seconds (a short job found
running at its wake is about to end: a long pause would be most of its time)."""
UNKNOWN_MIN_GAP = 0.05
"""The shortest pause between two polls of a job whose kind was never seen (each poll is a
request against the key's rate limit)."""
OVERSHOOT = 0.20
"""While the duration is unknown, a poll gap is at most this share of the time run so far."""
FOLLOWER_GAP = (0.25, 0.5)
"""While another job of the same unknown kind is being watched (the scout), a job's poll gaps
are at least 0.25 s and at most half the time run so far: the scout learns for both."""
EARLY = 1.0
"""Wake at this share of the learned wake (see the module doc), then poll closely."""
CLOSE = 0.05
"""Past the wake, a poll gap is at most this share of the time run so far."""
STEP = 0.01
"""The first step down of the wake after a job found running, as a share of it."""
MAX_STEP = 0.08
"""The largest step down (the steps double while first polls find jobs done): below
``CLOSE``, so a wake that went too low costs one more poll, seldom two."""
MAX_RISE = 0.1
"""The most one job found running at the wake raises it, as a share of it, unless the job was
seen running later still (a slow second poll says little of when the job ended)."""
FIRST_SHARE = 0.25
"""The first wake of a kind lies this far into what its first job's polls narrowed its end to
(low: a job found running there costs one close poll, a wake too late costs every job)."""
REMEMBERED = 16
"""Finished jobs remembered per endpoint and settings."""
SETTING_FIELDS = (
    "resolution",
    "num_output_images",
    "aspect_ratio",
    "base_model",
    "quality",
    "output_format",
)
"""Request fields that change how long a job takes (the prompt's words do not, much)."""
IMAGE_FIELDS = ("images", "image", "input_image", "reference_image")


def settings_key(endpoint: str | None, request: Mapping[str, Any]) -> str:
    """The key jobs of the same kind share: the endpoint, its settings and how many images."""
    parts = [endpoint or "job"]
    parts += [f"{name}={request[name]}" for name in SETTING_FIELDS if name in request]
    images = request.get("images")
    count = len(images) if isinstance(images, list) else 0
    count += sum(1 for name in IMAGE_FIELDS[1:] if request.get(name))
    parts.append(f"inputs={count}")
    return "|".join(parts)


class DurationBook:
    """Durations and wake times of finished jobs, by :func:`settings_key` (thread-safe, bounded).

    Jobs of one client may run on different event loops (the sync client's and a session's), so
    a job waiting for a kind to be learned registers its own loop's future.
    """

    def __init__(self, remembered: int = REMEMBERED) -> None:
        self._seen: dict[str, deque[float]] = {}
        self._wake: dict[str, float] = {}
        self._streak: dict[str, int] = {}
        self._scouts: dict[str, int] = {}
        self._waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]] = {}
        self._remembered = remembered
        self._lock = threading.Lock()
        self.patience = 1.0
        """How much later than the wake a job first polls: raised while each request counts
        against a request-rate limit the session met (a poll then costs more than a wait)."""

    def scout(self, key: str) -> bool:
        """Whether a job of unknown kind ``key`` should watch closely (the first one does; the
        others follow sparsely until it has learned). Call :meth:`scouted` when it ends."""
        with self._lock:
            first = self._scouts.get(key, 0) == 0
            self._scouts[key] = self._scouts.get(key, 0) + 1
            return first

    def scouted(self, key: str) -> None:
        """A job that asked :meth:`scout` has ended."""
        with self._lock:
            left = self._scouts.get(key, 1) - 1
            if left > 0:
                self._scouts[key] = left
            else:
                self._scouts.pop(key, None)

    def record(self, key: str, seconds: float) -> None:
        """Remember that a job of this kind was seen finished ``seconds`` after its submit."""
        self.learn(key, running_at=None, done_at=seconds, on_schedule=False)

    def learn(
        self,
        key: str,
        *,
        running_at: float | None,
        done_at: float,
        on_schedule: bool,
        wake: float | None = None,
    ) -> None:
        """A job of this kind was last seen running ``running_at`` seconds after its submit
        (None: never) and seen finished at ``done_at``.

        ``on_schedule``: its first poll was at the wake ``wake`` (default: the wake now); its
        answer moves the wake (see the module doc). A first poll that found the job done
        says nothing new when the wake has come below the one it tested (jobs running at once
        test the same wake: one step for them all). Not on schedule, the wake is only set when
        there is none yet: low in what the polls narrowed it to (``FIRST_SHARE``).
        """
        if done_at <= 0:
            return
        with self._lock:
            self._seen.setdefault(key, deque(maxlen=self._remembered)).append(done_at)
            now = self._wake.get(key)
            if now is None:
                low = running_at if running_at is not None else done_at
                self._wake[key] = low + (done_at - low) * FIRST_SHARE
            elif on_schedule:
                self._move(key, now, now if wake is None else wake, running_at, done_at)
            waiters = self._waiters.pop(key, [])
        for loop, future in waiters:
            _call_soon(loop, future)

    def _move(
        self, key: str, now: float, tested: float, running_at: float | None, done_at: float
    ) -> None:
        """Move ``key``'s wake (now ``now``) after a job first polled at ``tested``; locked."""
        if running_at is None:  # the first poll found it done: earlier
            if tested <= now * (1 + 1e-9):  # unless jobs that tested it moved it already
                streak = self._streak.get(key, 0)
                self._wake[key] = tested * (1 - min(MAX_STEP, STEP * 2**streak))
                self._streak[key] = min(streak + 1, 16)
        else:  # found running at the wake: it ended between the last two polls
            middle = min((running_at + done_at) / 2, tested * (1 + MAX_RISE))
            self._wake[key] = max(now, middle, running_at)
            self._streak[key] = 0

    def expected(self, key: str) -> float | None:
        """The median time this kind's remembered jobs were seen finished (None before one)."""
        with self._lock:
            seen = self._seen.get(key)
            return statistics.median(seen) if seen else None

    def likely_done(self, key: str) -> float | None:
        """Seconds after its submit a job of this kind is likely done: the tracked wake (None
        before the first job of the kind was seen finished)."""
        with self._lock:
            return self._wake.get(key)

    async def until_learned(self, key: str, seconds: float) -> bool:
        """Wait up to ``seconds`` for this kind to be learned; whether it is (at once if so)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if key in self._wake:
                return True
            self._waiters.setdefault(key, []).append((loop, future))
        try:
            await asyncio.wait_for(future, max(0.0, seconds))
        except TimeoutError:
            pass
        finally:
            with self._lock:
                waiting = self._waiters.get(key, [])
                if (loop, future) in waiting:
                    waiting.remove((loop, future))
                if not waiting:
                    self._waiters.pop(key, None)
        with self._lock:
            return key in self._wake


def _wake_up(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _call_soon(loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> None:
    with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits there
        loop.call_soon_threadsafe(_wake_up, future)


def poll_times(expected: float | None, max_gap: float, *, scout: bool = True) -> Iterator[float]:
    """Seconds after the submit at which to poll, in order (endless).

    Args:
        expected: the job's expected duration (None: unknown).
        max_gap: the longest pause between two polls.
        scout: with the duration unknown, whether this job watches closely (else it follows
            sparsely: another job of its kind is learning the duration).
    """
    share, shortest, at = OVERSHOOT, UNKNOWN_MIN_GAP, 0.0
    if not scout:
        shortest, share = FOLLOWER_GAP
    if expected is None:
        at = min(FIRST_CHECK, max_gap)
        yield at
    else:
        share, shortest = CLOSE, MIN_GAP
        wake = max(expected * EARLY, FIRST_CHECK)
        while wake > at + MIN_GAP:
            at = min(wake, at + max_gap)
            yield at
    while True:
        at += min(max(shortest, at * share), max_gap)
        yield at
