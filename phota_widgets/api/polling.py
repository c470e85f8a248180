"""When to poll a job: a schedule that follows the job's expected duration.

A job's expected duration is learned from the finished jobs of the same endpoint and settings
(the client's :class:`DurationBook`). Unknown, the schedule checks once quickly, then polls with
gaps of at most ``OVERSHOOT`` of the time elapsed (and never less than ``UNKNOWN_MIN_GAP``), so
the first job of a kind waits at most about 20% longer than it ran, in about a dozen polls for a
one-second job. Known, it sleeps until the job is likely done (the
upper quartile of the kind's durations: the first poll usually finds it finished), then polls
with gaps of at most ``CLOSE`` of the time elapsed: about 1.3 polls a job once learned.
"""

from __future__ import annotations

import statistics
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any

FIRST_CHECK = 0.02
"""Seconds before the first poll: quick jobs (and resumed, finished ones) are seen at once."""
MIN_GAP = 0.02
"""The shortest pause between two polls, seconds."""
UNKNOWN_MIN_GAP = 0.05
"""The shortest pause between two polls of a job whose kind was never seen (each poll is a
request against the key's rate limit)."""
OVERSHOOT = 0.20
"""While the duration is unknown, a poll gap is at most this share of the time run so far."""
FOLLOWER_GAP = (0.25, 0.5)
"""While another job of the same unknown kind is being watched (the scout), a job's poll gaps
are at least 0.25 s and at most half the time run so far: the scout learns for both."""
EARLY = 1.0
"""Wake at this share of the expected duration (its upper quartile), then poll closely."""
CLOSE = 0.05
"""Past the wake, a poll gap is at most this share of the time run so far."""
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
    """Durations of finished jobs, by :func:`settings_key` (thread-safe, bounded)."""

    def __init__(self, remembered: int = REMEMBERED) -> None:
        self._seen: dict[str, deque[float]] = {}
        self._scouts: dict[str, int] = {}
        self._remembered = remembered
        self._lock = threading.Lock()

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
        """Remember that a job of this kind took ``seconds``."""
        if seconds <= 0:
            return
        with self._lock:
            self._seen.setdefault(key, deque(maxlen=self._remembered)).append(seconds)

    def expected(self, key: str) -> float | None:
        """The median duration of this kind's remembered jobs (None before the first)."""
        with self._lock:
            seen = self._seen.get(key)
            return statistics.median(seen) if seen else None

    def likely_done(self, key: str) -> float | None:
        """When a job of this kind is likely done: the upper quartile of its remembered
        durations (None before the first)."""
        with self._lock:
            seen = list(self._seen.get(key) or ())
        if len(seen) < 2:
            return seen[0] if seen else None
        return statistics.quantiles(seen, n=4, method="inclusive")[2]


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
