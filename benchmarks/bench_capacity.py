"""At the API's capacity: a sweep against rate limits it does not know, and requests per call.

The model server (its own process) takes 1 s a job and enforces per-key limits the way an API
would, answering 429 with ``Retry-After`` beyond them; the client starts from its default limit
and is told nothing. Each sweep runs on a new Session (nothing learned), and is compared with
the ideal schedule at that limit; what a client knowing the limit does on the same server in the
same run is reported beside it:

* a cap of K jobs at once (K = 3 and 12): the reference is the ideal, ``ceil(cells / K)`` job
  times; the note gives the same cells as bare synchronous httpx calls on K threads (what the
  server's cores allow here: the embedded server renders on this machine's cores) and the
  sweep's time against that;
* 20 requests per second per key: ``cells x 2 / 20`` s, a submit and one poll a cell (downloads
  carry no key), and never under one job time (one bare synchronous call).

Beside each time: the 429 answers (to submits and polls) per submit sent, retries of refused
submits included, and the HTTP requests per cell (all of them,
downloads included), and the polls a cell once a duration was learned (the second half).

Last, the cost of a call made one at a time: ``s.generate`` (a submit, its polls, the download
and the run store) against one bare synchronous POST, on a server with no processing delay.
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
from benchmarks.harness import Config, Figure, interleaved
from phota_widgets.local import Limits, ServerProcess

JOB_SECONDS = 1.0
"""The server's processing time per job."""
RATE = 20.0
KEYED_PER_CELL = 2
"""The fewest keyed requests a cell can cost: its submit and one poll."""
ONE_CALL_REPEATS = {True: 9, False: 31}
"""Interleaved repeats of the one-call figure (quick, full): their medians are compared."""


@dataclass
class SweepRun:
    """What one rate-limited sweep took."""

    seconds: float
    job_seconds: float
    bare_seconds: float
    cells: int
    requests: int
    submits: int
    """Submits sent, retries of refused ones included (what the 429 share is of)."""
    rate_limited: int
    final_limit: int
    learned_requests: float
    """Mean requests of the second half's cells (submit, polls, download, any retry)."""

    @property
    def share_429(self) -> float:
        """429 answers (to submits and polls) per submit sent."""
        return self.rate_limited / self.submits

    @property
    def requests_per_cell(self) -> float:
        return self.requests / self.cells


def run(config: Config) -> list[Figure]:
    """The K=3, K=12 and 20 requests/s sweeps, each against its ideal schedule, then one call
    at a time against a bare synchronous POST."""
    import phota_widgets.experiments  # noqa: F401  (imported once per process: not the sweep's)

    cells = 36 if config.quick else 200
    figures = []
    for cap in (3, 12):
        took = limited_sweep(Limits(max_jobs=cap, retry_after=1), cells, bare_threads=cap)
        ideal = math.ceil(cells / cap) * JOB_SECONDS
        bare = took.bare_seconds
        figures.append(
            _figure(
                f"{cells}-cell sweep, server capped at {cap} jobs",
                took,
                ideal,
                note=(
                    f"bare httpx on {cap} threads {bare:.1f} s ({bare / ideal:.2f}x the ideal), "
                    f"the sweep {took.seconds / bare:.2f}x that"
                ),
            )
        )
    took = limited_sweep(Limits(requests_per_second=RATE), cells)
    ideal = max(took.job_seconds, cells * KEYED_PER_CELL / RATE)
    figures.append(
        _figure(f"{cells}-cell sweep, server limited to {RATE:g} requests/s", took, ideal, 1.20)
    )
    figures.append(one_call_overhead(config))
    return figures


def one_call_overhead(config: Config) -> Figure:
    """``s.generate`` one call at a time against one bare synchronous POST (no processing)."""
    with (
        ServerProcess(processing=0.0).start(wait=True) as server,
        tempfile.TemporaryDirectory() as tmp,
        pw.Session(output_dir=tmp, local_server=server, resume=False, announce=False) as s,
        httpx.Client(timeout=120) as http,
    ):
        before = s.store.count()
        times = interleaved(
            {
                "bare": lambda: _bare_post(http, server, "one at a time").json(),
                "session": lambda: s.generate("a lighthouse, one at a time"),
            },
            ONE_CALL_REPEATS[config.quick],
        )
        runs = s.store.runs(limit=s.store.count() - before)
        requests = statistics.median(r.requests or 0 for r in runs)
    bare, session = times["bare"], times["session"]
    return Figure(
        "s.generate one call at a time vs a bare synchronous POST (no processing delay)",
        session, bare, "s", "<= 1.35x", session <= 1.35 * bare,
        note=f"{requests:g} requests a call (median)",
        extra={"requests_per_call": requests},
    )  # fmt: skip


def limited_sweep(limits: Limits, cells: int, bare_threads: int = 0) -> SweepRun:
    """A sweep of ``cells`` one-image cells on a new Session against a limited server (and,
    with ``bare_threads``, the same cells as bare sync calls on that many threads first)."""
    requests = submits = 0

    async def count(request: httpx.Request) -> None:
        nonlocal requests, submits
        requests += 1
        submits += request.method == "POST"  # a sweep's only POSTs are its submits

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
        later = s.store.runs(limit=cells // 2)  # newest first: the second half of the sweep
        return SweepRun(
            seconds,
            job_seconds,
            bare_seconds,
            cells,
            requests,
            submits,
            limit.rate_limited_count,
            s.concurrency,
            statistics.fmean(r.requests or 0 for r in later),
        )


def _bare_threads_seconds(server: Any, cells: int, threads: int) -> float:
    """Seconds for ``cells`` bare sync calls on ``threads`` threads (a client knowing the cap)."""
    with httpx.Client(timeout=120) as http:
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda i: _bare_post(http, server, f"bare {i}"), range(cells)))
        return time.perf_counter() - started


def _bare_post(http: httpx.Client, server: Any, words: str) -> httpx.Response:
    """One bare synchronous generate: POST and wait for the answer (images inline)."""
    response = http.post(
        f"{server.base_url}/generate",
        json={"prompt": f"a lighthouse, {words}"},
        headers={"X-API-Key": server.api_key},
    )
    return response.raise_for_status()


def _bare_call_seconds(server: Any, repeats: int = 3) -> float:
    """Median seconds of one bare synchronous generate on ``server`` (a job's time here)."""
    times = []
    with httpx.Client(timeout=120) as http:
        for i in range(repeats):
            started = time.perf_counter()
            _bare_post(http, server, f"reference {i}")
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def _figure(
    name: str, took: SweepRun, ideal: float, target: float = 1.15, note: str = ""
) -> Figure:
    ok = took.seconds <= target * ideal and took.share_429 < 0.05
    return Figure(
        f"{name} (unknown to the client) vs the ideal schedule",
        took.seconds, ideal, "s", f"<= {target:.2f}x, 429s < 5% of submits", ok,
        note=(
            f"429s {took.share_429:.1%} of submits ({took.rate_limited} of {took.submits}), "
            f"{took.requests_per_cell:.2f} requests a "
            f"cell ({took.learned_requests:.2f} in the second half: submit + polls + "
            f"download), limit ended at {took.final_limit}" + (f"; {note}" if note else "")
        ),
        extra={
            "share_429": took.share_429,
            "requests_per_cell": took.requests_per_cell,
            "learned_requests_per_cell": took.learned_requests,
            "final_limit": took.final_limit,
            "bare_seconds": took.bare_seconds,
        },
    )  # fmt: skip
