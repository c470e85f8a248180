"""Counting the HTTP requests made for one call (submit, polls, downloads, retries included).

An API meters requests as well as jobs, so a call's request count is worth knowing: a caller
installs :func:`count_request` as an httpx request hook on the client's pool and wraps the call
in :func:`counting` (or calls :func:`begin_count` in a task of its own); every request sent from
within (this task and the tasks it starts) is counted, whichever client method sends it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx


@dataclass
class RequestCount:
    """Requests sent so far for one call."""

    api: int = 0
    """Requests to the API's paths (they carry the key: what a request-rate limit counts)."""
    downloads: int = 0
    """Fetches of output links (no key)."""

    @property
    def total(self) -> int:
        """Every request sent."""
        return self.api + self.downloads


_current: contextvars.ContextVar[RequestCount | None] = contextvars.ContextVar(
    "phota_request_count", default=None
)


def begin_count() -> RequestCount:
    """Count the requests this task (and the tasks it starts from now) sends, from now on.

    Meant for a task that makes one call (a new count replaces the last one)."""
    count = RequestCount()
    _current.set(count)
    return count


@contextmanager
def counting() -> Iterator[RequestCount]:
    """Count the requests sent from within this block (this task and tasks it starts)."""
    count = RequestCount()
    token = _current.set(count)
    try:
        yield count
    finally:
        _current.reset(token)


async def count_request(request: httpx.Request) -> None:
    """An httpx request hook: adds the request to the running call's count, if any."""
    count = _current.get()
    if count is None:
        return
    if "x-api-key" in request.headers:
        count.api += 1
    else:
        count.downloads += 1
