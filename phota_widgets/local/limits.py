"""Rate limits of the embedded server: concurrent jobs and requests per second, per key.

An API meters each key: a cap on the image jobs it runs at once and on the requests it makes per
second. Beyond either, it answers 429 with ``Retry-After``. The embedded server does the same when
given :class:`Limits`, so a client's behaviour under rate limits is tested and benchmarked offline.

What counts:

* **Jobs**: an image request from the moment it is accepted until its work ends (sync: the
  request; async: the job, queued or running). A re-sent ``client_request_id`` that names a job
  already accepted is not a new job and is never refused for the cap.
* **Requests**: every request to an API path made with a key (polls and profile calls included);
  download links carry no key and are not counted. A token bucket holding ``burst`` tokens
  (default: one second's worth) refills at ``requests_per_second``.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    """Per-key limits the embedded server enforces (None: no limit).

    Attributes:
        max_jobs: image jobs running (or queued) at once per key; beyond it, 429.
        requests_per_second: requests per second per key to the API's paths; beyond it, 429.
        burst: requests allowed at once before the rate applies (default: one second's worth).
        retry_after: the ``Retry-After`` seconds of a 429 for the job cap.
    """

    max_jobs: int | None = None
    requests_per_second: float | None = None
    burst: float | None = None
    retry_after: float = 1.0

    def __post_init__(self) -> None:
        if self.max_jobs is not None and self.max_jobs < 1:
            raise ValueError("max_jobs must be at least 1 (or None: no cap)")
        if self.requests_per_second is not None and self.requests_per_second <= 0:
            raise ValueError("requests_per_second must be > 0 (or None: no limit)")
        if self.burst is not None and self.burst < 1:
            raise ValueError("burst must be at least 1 request")
        if self.retry_after < 0:
            raise ValueError("retry_after must be >= 0 seconds")

    @property
    def active(self) -> bool:
        """Whether any limit is set."""
        return self.max_jobs is not None or self.requests_per_second is not None


@dataclass
class LimitCounts:
    """What the limiter saw: requests and jobs admitted and refused (for tests and benchmarks)."""

    requests: int = 0
    requests_refused: int = 0
    jobs: int = 0
    jobs_refused: int = 0
    most_jobs_at_once: int = 0


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class Limiter:
    """Enforces :class:`Limits` (thread-safe; keys are held only as hashes)."""

    limits: Limits
    clock: Callable[[], float] = time.monotonic
    counts: LimitCounts = field(default_factory=LimitCounts)
    _buckets: dict[str, _Bucket] = field(default_factory=dict, repr=False)
    _running: dict[str, int] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take_request(self, key: str) -> float | None:
        """Count one request of ``key``: None when admitted, else the seconds to wait."""
        rate = self.limits.requests_per_second
        with self._lock:
            self.counts.requests += 1
            if rate is None:
                return None
            burst = self.limits.burst or max(1.0, rate)
            now = self.clock()
            bucket = self._buckets.setdefault(_name(key), _Bucket(burst, now))
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            self.counts.requests_refused += 1
            return _round_up((1.0 - bucket.tokens) / rate)

    def start_job(self, key: str) -> float | None:
        """Take a job slot of ``key``: None when taken (call :meth:`end_job` later), else a wait."""
        cap = self.limits.max_jobs
        name = _name(key)
        with self._lock:
            running = self._running.get(name, 0)
            if cap is not None and running >= cap:
                self.counts.jobs_refused += 1
                return self.limits.retry_after
            self._running[name] = running + 1
            self.counts.jobs += 1
            self.counts.most_jobs_at_once = max(self.counts.most_jobs_at_once, running + 1)
            return None

    def end_job(self, key: str) -> None:
        """Give back a slot taken by :meth:`start_job`."""
        name = _name(key)
        with self._lock:
            self._running[name] = max(0, self._running.get(name, 0) - 1)

    def running(self, key: str) -> int:
        """Jobs of ``key`` holding a slot now."""
        with self._lock:
            return self._running.get(_name(key), 0)


def _name(key: str) -> str:
    """A key's bucket name: its hash, so the limiter never holds the key itself."""
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:16]


def _round_up(seconds: float) -> float:
    """Seconds rounded up to the next tenth (a ``Retry-After`` never says too little)."""
    return max(0.1, math.ceil(seconds * 10 - 1e-9) / 10)
