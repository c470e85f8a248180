"""At the API's capacity: a sweep against rate limits it does not know, and requests per call.

The model server (its own process) takes 1 s a job and enforces per-key limits the way an API
would, answering 429 with ``Retry-After`` beyond them; the client starts from its default limit
and is told nothing. Each sweep runs on a new Session (nothing learned), and is compared with
what a client knowing the limit does on the same server in the same run:

* a cap of K jobs at once (K = 3 and 12): the same cells as bare synchronous httpx calls on K
  threads (``ceil(cells / K)`` job times when the server's cores keep up; the theoretical figure
  is in the note);
* 20 requests per second per key: ``cells x 2 / 20`` s, a submit and one poll a cell (downloads
  carry no key), and never under one job time (one bare synchronous call).

Beside each time: the 429 answers per submit and the HTTP requests per cell (all of them,
downloads included).
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

import phota_widgets as pw
from benchmarks.harness import Config, Figure
from phota_widgets.local import Limits, ServerProcess

JOB_SECONDS = 1.0
"""The server's processing time per job."""
RATE = 20.0
KEYED_PER_CELL = 2
"""The fewest keyed requests a cell can cost: its submit and one poll."""


@dataclass
class SweepRun:
    """What one rate-limited sweep took."""

    seconds: float
    job_seconds: float
    bare_seconds: float
    cells: int
    requests: int
    rate_limited: int
    final_limit: int

    @property
    def share_429(self) -> float:
        return self.rate_limited / self.cells

    @property
    def requests_per_cell(self) -> float:
        return self.requests / self.cells


def run(config: Config) -> list[Figure]:
    """The K=3, K=12 and 20 requests/s sweeps, each against its ideal schedule."""
    cells = 48 if config.quick else 200
    figures = []
    for cap in (3, 12):
        took = limited_sweep(Limits(max_jobs=cap, retry_after=1), cells, bare_threads=cap)
        theory = math.ceil(cells / cap) * took.job_seconds
        figures.append(
            _figure(
                f"{cells}-cell sweep, server capped at {cap} jobs",
                took,
                took.bare_seconds,
                note=f"theory {theory:.1f} s",
            )
        )
    took = limited_sweep(Limits(requests_per_second=RATE), cells)
    ideal = max(took.job_seconds, cells * KEYED_PER_CELL / RATE)
    figures.append(
        _figure(f"{cells}-cell sweep, server limited to {RATE:g} requests/s", took, ideal, 1.20)
    )
    return figures


def limited_sweep(limits: Limits, cells: int, bare_threads: int = 0) -> SweepRun:
    """A sweep of ``cells`` one-image cells on a new Session against a limited server (and,
    with ``bare_threads``, the same cells as bare sync calls on that many threads first)."""
    requests = 0

    async def count(_request: httpx.Request) -> None:
        nonlocal requests
        requests += 1

    with (
        ServerProcess(processing=JOB_SECONDS, limits=limits).start(wait=True) as server,
        tempfile.TemporaryDirectory() as tmp,
        pw.Session(output_dir=tmp, local_server=server, resume=False, announce=False) as s,
    ):
        job_seconds = _bare_call_seconds(server)
        bare_seconds = _bare_threads_seconds(server, cells, bare_threads) if bare_threads else 0.0
        http = s.aclient.transport.http
        http.event_hooks = {**http.event_hooks, "request": [*http.event_hooks["request"], count]}
        prompts = [f"a lighthouse, capacity {time.time_ns()} {i}" for i in range(cells)]
        started = time.perf_counter()
        result = s.sweep("generate", prompts=prompts, progress=False)
        seconds = time.perf_counter() - started
        assert result.counts() == {"succeeded": cells}, result.counts()
        limit: Any = s._concurrency
        return SweepRun(
            seconds,
            job_seconds,
            bare_seconds,
            cells,
            requests,
            limit.rate_limited_count,
            s.concurrency,
        )


def _bare_threads_seconds(server: Any, cells: int, threads: int) -> float:
    """Seconds for ``cells`` bare sync calls on ``threads`` threads (a client knowing the cap)."""
    with httpx.Client(timeout=120) as http:

        def call(i: int) -> None:
            response = http.post(
                f"{server.base_url}/generate",
                json={"prompt": f"a lighthouse, bare {i}"},
                headers={"X-API-Key": server.api_key},
            )
            response.raise_for_status()

        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(call, range(cells)))
        return time.perf_counter() - started


def _bare_call_seconds(server: Any, repeats: int = 3) -> float:
    """Median seconds of one bare synchronous generate on ``server`` (a job's time here)."""
    times = []
    with httpx.Client(timeout=120) as http:
        for i in range(repeats):
            started = time.perf_counter()
            response = http.post(
                f"{server.base_url}/generate",
                json={"prompt": f"a lighthouse, reference {i}"},
                headers={"X-API-Key": server.api_key},
            )
            response.raise_for_status()
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def _figure(
    name: str, took: SweepRun, ideal: float, target: float = 1.15, note: str = ""
) -> Figure:
    ok = took.seconds <= target * ideal and took.share_429 < 0.05
    return Figure(
        f"{name} (unknown to the client) vs the ideal schedule",
        took.seconds, ideal, "s", f"<= {target:.2f}x, 429s < 5% of cells", ok,
        note=(
            f"429s {took.share_429:.1%} of cells, {took.requests_per_cell:.2f} requests a "
            f"cell, limit ended at {took.final_limit}" + (f"; {note}" if note else "")
        ),
        extra={
            "share_429": took.share_429,
            "requests_per_cell": took.requests_per_cell,
            "final_limit": took.final_limit,
        },
    )  # fmt: skip
