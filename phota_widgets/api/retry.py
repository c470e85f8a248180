"""What is safe to retry, and how long to wait: exponential backoff with full jitter.

Phota bills delivered images. A 429 or 5xx answer delivered none, so it is retried. A connection
that fails before the request was sent is retried. A connection that drops *after* the request was
sent may have started paid work: only requests that cannot pay twice are retried then (reads,
deletes, and async submits carrying a ``client_request_id``). 400, 401, 402, 403, 404 and 422 are
never retried.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from time import time

import httpx

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Answers that delivered no image: safe to send again."""

NOT_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
"""Transport errors raised before the request reached the server (no free connection counts)."""

AFTER_SEND_ERRORS: tuple[type[Exception], ...] = (
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    httpx.ReadTimeout,
    httpx.WriteTimeout,
)
"""Transport errors after which the server may have started work."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter.

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        initial_delay: the first backoff ceiling, in seconds.
        max_delay: the largest wait between two attempts, in seconds (``Retry-After`` included).
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 20.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        ceiling = min(self.initial_delay * (2**attempt), self.max_delay)
        return random.uniform(0.0, ceiling)


def should_retry_status(status_code: int) -> bool:
    """Whether an error answer may be retried (it delivered no image)."""
    return status_code in RETRY_STATUSES


def should_retry_exception(exc: Exception, *, idempotent: bool) -> bool:
    """Whether a transport error may be retried without risking paying twice."""
    if isinstance(exc, NOT_SENT_ERRORS):
        return True
    return idempotent and isinstance(exc, AFTER_SEND_ERRORS)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time(), 0.0)
