"""The job path: the client and the Session against bare httpx, and many runs at once.

The model server (its own process) takes ``processing`` seconds a job and ``latency`` seconds of
network a request, as the real API would; the reference is the same request sent with bare httpx.
"""

from __future__ import annotations

import base64
import math
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import httpx

import phota_widgets as pw
from benchmarks.harness import Config, Figure, interleaved, model_server

PROMPT = "a red barn in a green field"
MANY_REPEATS = 3
"""Interleaved repeats of the many-runs figures in the full run (their median is reported)."""


def bare_httpx_call(http: httpx.Client, server: Any) -> None:
    """One generate sent as plainly as it can be: POST, wait, decode the image."""
    response = http.post(
        f"{server.base_url}/generate",
        json={"prompt": PROMPT},
        headers={"X-API-Key": server.api_key},
    )
    response.raise_for_status()
    for image in response.json()["images"]:
        base64.b64decode(image)


def run(config: Config) -> list[Figure]:
    """Client and Session overhead, many runs at concurrency 8, speed-up, sweep."""
    figures = []
    with (
        model_server(config) as server,
        httpx.Client(timeout=120) as http,
        pw.PhotaClient(api_key=server.api_key, base_url=server.base_url) as client,
        tempfile.TemporaryDirectory() as tmp,
        pw.Session(output_dir=tmp, local_server=server, max_concurrency=8, resume=False) as s,
    ):
        times = interleaved(
            {
                "bare": lambda: bare_httpx_call(http, server),
                "client": lambda: client.generate(PROMPT).images[0].data,
                "session": lambda: s.generate(PROMPT).images[0].data,
            },
            config.repeats,
        )
        bare = times["bare"]
        figures.append(
            Figure(
                "client.generate (sync) vs bare httpx, one call at a time",
                times["client"], bare, "s", "<= 1.10x", times["client"] <= 1.10 * bare,
            )
        )  # fmt: skip
        figures.append(
            Figure(
                "s.generate (Session, async jobs) vs bare httpx, one call at a time",
                times["session"], bare, "s", "<= 1.25x", times["session"] <= 1.25 * bare,
            )
        )  # fmt: skip
        runs, width = (16, 8) if config.quick else (64, 8)
        many_times = interleaved(
            {
                "bare": lambda: _bare_concurrent(http, server, runs, width),
                "session": lambda: _concurrent(s, runs),
                "sweep": lambda: _sweep_seconds(s, runs),
            },
            1 if config.quick else MANY_REPEATS,
            warmup=False,
        )
        bare_many, many = many_times["bare"], many_times["session"]
        ideal = math.ceil(runs / width) * bare
        figures.append(
            Figure(
                f"{runs} bare httpx calls on {width} threads vs the ideal schedule "
                "(what the server can do on these cores)",
                bare_many, ideal, "s", "-", None,
            )
        )  # fmt: skip
        figures.append(
            Figure(
                f"{runs} Session runs at concurrency {width} vs {runs} bare httpx calls on "
                f"{width} threads",
                many, bare_many, "s", "<= 1.20x", many <= 1.20 * bare_many,
            )
        )  # fmt: skip
        figures.append(
            Figure(
                f"{runs} Session runs at concurrency {width} vs the ideal schedule",
                many, ideal, "s", "<= 1.20x", many <= 1.20 * ideal,
                note=f"ideal = {math.ceil(runs / width)} waves x one bare call",
            )
        )  # fmt: skip
        figures.append(_speed_up(s, width, config))
        figures.append(_sweep(runs, width, many_times["sweep"], bare_many, ideal))
    if hasattr(pw.Session, "sweep"):
        figures.append(planning(config))
    return figures


def _bare_concurrent(http: httpx.Client, server: Any, runs: int, width: int) -> float:
    """Seconds for ``runs`` bare calls on ``width`` threads: the server's own capacity here."""
    started = time.perf_counter()
    with ThreadPoolExecutor(width) as pool:
        list(pool.map(lambda _i: bare_httpx_call(http, server), range(runs)))
    return time.perf_counter() - started


def _concurrent(session: pw.Session, runs: int) -> float:
    """Seconds for ``runs`` Session runs submitted at once (the session's limit applies)."""
    started = time.perf_counter()
    futures = [session.submit_run("generate", prompt=f"{PROMPT} {i}") for i in range(runs)]
    done, _ = wait(futures, timeout=600)
    for future in done:
        future.result()
    return time.perf_counter() - started


def _speed_up(session: pw.Session, width: int, config: Config) -> Figure:
    """Sequential over concurrent time for the same runs."""
    runs = width  # one full wave
    started = time.perf_counter()
    for i in range(runs):
        session.generate(f"{PROMPT} seq {i}")
    sequential = time.perf_counter() - started
    concurrent = _concurrent(session, runs)
    speed_up = sequential / concurrent
    return Figure(
        f"speed-up of {runs} runs at concurrency {width} over one at a time",
        speed_up, 1.0, "x", ">= 6x", speed_up >= 6,
        note=f"{sequential:.1f} s one at a time, {concurrent:.1f} s at once",
    )  # fmt: skip


def _sweep_seconds(session: pw.Session, runs: int) -> float:
    """Seconds for a sweep of ``runs`` new prompts (one cell each) on the session."""
    prompts = [f"{PROMPT}, sweep {time.time_ns()} {i}" for i in range(runs)]
    started = time.perf_counter()
    session.sweep("generate", prompts=prompts, progress=False)
    return time.perf_counter() - started


def _sweep(runs: int, width: int, took: float, bare_many: float, ideal: float) -> Figure:
    """A sweep of ``runs`` prompts (one cell each) against the same ideal schedule."""
    return Figure(
        f"sweep of {runs} cells at concurrency {width} vs the ideal schedule",
        took, ideal, "s", "<= 1.20x", took <= 1.20 * ideal,
        note=f"{took / bare_many:.2f}x {runs} bare httpx calls on {width} threads",
    )  # fmt: skip


def planning(config: Config) -> Figure:
    """Planning a 10,000-cell sweep (benchmarks/bench_sweep.py's workload)."""
    from benchmarks.bench_sweep import plan_seconds

    took = plan_seconds(runs=config.repeats)
    return Figure("planning a 10,000-cell sweep vs 1 s", took, 1.0, "s", "< 1 s", took < 1.0)
