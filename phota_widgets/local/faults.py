"""Fault injection for tests and benchmarks: latency, error answers, dropped connections.

Faults are seeded, so a run is repeatable. They apply to the API's paths (``/v1/phota/...``), not
to download links, and are drawn in the order requests arrive.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import uuid
from dataclasses import dataclass
from typing import Any

Scope = dict[str, Any]
ASGIApp = Any

API_PREFIX = "/v1/phota"
DOWNLOAD_SEGMENT = "/_local/downloads/"


@dataclass(frozen=True)
class Faults:
    """What can go wrong, and how often.

    Attributes:
        latency: seconds added to every API request.
        jitter: up to this many more seconds, drawn at random.
        rate_429: share of requests answered 429 with ``Retry-After``.
        rate_500: share answered 500.
        rate_503: share answered 503.
        drop_rate: share whose connection is dropped after the request was handled (the work
            was done, the answer never arrives).
        sync_time_limit: a sync image request taking longer is answered 504 (None: no limit).
        retry_after: the ``Retry-After`` seconds of 429 answers.
        seed: the random seed.
    """

    latency: float = 0.0
    jitter: float = 0.0
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    drop_rate: float = 0.0
    sync_time_limit: float | None = None
    retry_after: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        rates = (self.rate_429, self.rate_500, self.rate_503, self.drop_rate)
        if any(r < 0 or r > 1 for r in rates) or sum(rates) > 1:
            raise ValueError("fault rates must each be in 0..1 and sum to at most 1")
        if self.latency < 0 or self.jitter < 0:
            raise ValueError("latency and jitter must be >= 0")


class FaultInjector:
    """ASGI wrapper around the app that injects :class:`Faults` (outermost, next to the server)."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults
        self._random = random.Random(faults.seed)
        self._lock = threading.Lock()

    def _draw(self) -> tuple[float, str | None]:
        f = self.faults
        with self._lock:
            delay = f.latency + (self._random.uniform(0, f.jitter) if f.jitter else 0.0)
            roll = self._random.random()
        for kind, rate in (("429", f.rate_429), ("500", f.rate_500), ("503", f.rate_503)):
            if roll < rate:
                return delay, kind
            roll -= rate
        return delay, "drop" if roll < f.drop_rate else None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API_PREFIX) or DOWNLOAD_SEGMENT in path:
            await self.app(scope, receive, send)
            return
        delay, fault = self._draw()
        if delay:
            await asyncio.sleep(delay)
        if fault is None:
            await self.app(scope, receive, send)
        elif fault == "drop":
            await self._drop(scope, receive, send)
        else:
            await self._error(int(fault), send)

    async def _error(self, status: int, send: Any) -> None:
        request_id = uuid.uuid4().hex
        detail = {
            429: "rate limited (injected fault)",
            500: "internal error (injected fault)",
            503: "service unavailable (injected fault)",
        }[status]
        body = json.dumps({"detail": detail, "request_id": request_id, "code": "INJECTED_FAULT"})
        headers = [
            (b"content-type", b"application/json"),
            (b"x-request-id", request_id.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        if status == 429:
            headers.append((b"retry-after", f"{self.faults.retry_after:g}".encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body.encode()})

    async def _drop(self, scope: Scope, receive: Any, send: Any) -> None:
        """Handle the request fully, then close the connection instead of answering."""

        async def swallow(message: dict[str, Any]) -> None:
            return None

        await self.app(scope, receive, swallow)
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is None:
            raise RuntimeError("cannot drop the connection: the server's transport is hidden")
        transport.abort()
