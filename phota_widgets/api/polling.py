"""When to poll a job: a schedule that follows the job's expected duration.

A job's expected duration is learned from the finished jobs of the same endpoint and settings
(the client's :class:`DurationBook`). Unknown, the schedule checks once quickly, then polls with
gaps of at most ``OVERSHOOT`` of the time elapsed, so waiting never adds more than about 10% to a
job's time (and never less than ``MIN_GAP``). Known, it sleeps until the job is likely done (the
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
OVERSHOOT = 0.10
"""While the duration is unknown, a poll gap is at most this share of the time run so far."""
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
        self._remembered = remembered
        self._lock = threading.Lock()

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


def poll_times(expected: float | None, max_gap: float) -> Iterator[float]:
    """Seconds after the submit at which to poll, in order (endless).

    Args:
        expected: the job's expected duration (None: unknown).
        max_gap: the longest pause between two polls.
    """
    share = OVERSHOOT
    at = 0.0
    if expected is None:
        at = min(FIRST_CHECK, max_gap)
        yield at
    else:
        share = CLOSE
        wake = max(expected * EARLY, FIRST_CHECK)
        while wake > at + MIN_GAP:
            at = min(wake, at + max_gap)
            yield at
    while True:
        at += min(max(MIN_GAP, at * share), max_gap)
        yield at
