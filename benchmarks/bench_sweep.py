"""Prompt experiments: planning speed, sweep schedule, grid size, and (``--memory``) peak memory.

Targets (issue 9): planning 10,000 cells < 1 s; a 64-cell sweep at concurrency 8 within 1.20x of
its ideal schedule; ``show()`` of a 100-output sweep < 2 MB; a sweep producing 100 4K images keeps
this process under 300 MB (full images go to disk).

The embedded server renders every image with Pillow on this machine's CPU, so its jobs take their
render time on top of the 0.25 s queue delay. The schedule is therefore measured against the same
64 calls made by a bare ``asyncio.gather`` of ``Session.arun`` at the same concurrency: the ratio is
what the sweep machinery (planning, records, progress, resume checks) adds.

    python benchmarks/bench_sweep.py            # planning, schedule, grid size
    python benchmarks/bench_sweep.py --memory   # + 100 4K images (minutes: 4K renders on the CPU)

``python -m benchmarks`` (the whole suite) takes its planning workload from here and measures the
sweep's schedule against the ideal one in its job suite (bench_jobs.py).
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import phota_widgets as pw
from phota_widgets.experiments import make_plan

PLAN_TARGET = 1.0
SCHEDULE_TARGET = 1.20
GRID_TARGET = 2_000_000
MEMORY_TARGET_MB = 300
QUEUE_DELAY = 0.25
CONCURRENCY = 8


def plan_seconds(runs: int = 5) -> float:
    """Median time to plan 10,000 cells (100 prompts x 5 vars x 4 ratios x 5 models)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        plan = make_plan(
            "generate",
            prompts=[f"a {{animal}} in scene {i}" for i in range(100)],
            vars={"animal": ["cat", "owl", "fox", "hare", "wren"]},
            aspect_ratio=["1:1", "16:9", "9:16", "4:3"],
            base_model=["nb2", "flux-2", "reve", "qwen-image-2", "gpt-image-2"],
        )
        assert plan.calls == 10_000
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def bare_calls(session: pw.Session, tag: str) -> None:
    """64 generate calls at once through ``Session.arun`` (the session's limit applies)."""
    await asyncio.gather(*(session.arun("generate", prompt=f"a {tag} kite {i}") for i in range(64)))


def schedule(folder: Path, repeats: int = 3) -> tuple[float, float, int]:
    """Median seconds of a 64-cell sweep and of the same calls made bare (interleaved repeats),
    and the bytes of a 100-output sweep's grid."""
    sweep_times: list[float] = []
    bare_times: list[float] = []
    with pw.LocalServer(queue_delay=QUEUE_DELAY) as srv, pw.Session(
        api_key=srv.api_key, base_url=srv.base_url, output_dir=folder / "schedule",
        max_concurrency=CONCURRENCY,
    ) as s:  # fmt: skip
        s.generate("warm up")
        for round_ in range(repeats):
            started = time.perf_counter()
            s.loop.run(bare_calls(s, f"bare{round_}"))
            bare_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            prompts = [f"a swept{round_} kite {i}" for i in range(64)]
            result = s.sweep("generate", prompts=prompts, progress=False, confirm=True)
            sweep_times.append(time.perf_counter() - started)
            assert result.counts() == {"succeeded": 64}
        hundred = s.sweep(
            "generate",
            prompts=[f"a grid kite {i}" for i in range(25)],
            num_output_images=4,
            progress=False,
            confirm=True,  # a real-API code path over $5: said yes in advance
        )
        grid_bytes = len(hundred.show()._repr_html_().encode())
    return statistics.median(sweep_times), statistics.median(bare_times), grid_bytes


def memory_mb(folder: Path) -> float:
    """Peak memory of this process while a sweep brings 100 4K images (server in a child)."""
    key = "bench-" + os.urandom(8).hex()
    server = subprocess.Popen(
        [sys.executable, "-m", "phota_widgets.cli", "serve", "--port", "0", "--api-key", key],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().split(" at ")[1].strip()
        with pw.Session(api_key=key, base_url=base_url, output_dir=folder / "4k") as s:
            result = s.sweep(
                "generate",
                prompts=[f"a mountain lake {i}" for i in range(25)],
                resolution="4K",
                num_output_images=4,
                progress=False,
                confirm=True,
            )
            assert result.images == 100
    finally:
        server.terminate()
        server.wait(timeout=30)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        if "--memory" in sys.argv:  # first: the peak is this process's, whatever ran before
            peak = memory_mb(Path(tmp))
            ok &= peak < MEMORY_TARGET_MB
            print(f"100 4K images: peak {peak:.0f} MB in this process (target < 300 MB)")
        seconds = plan_seconds()
        ok &= seconds < PLAN_TARGET
        print(f"plan 10,000 cells: {seconds * 1000:.0f} ms (target < {PLAN_TARGET * 1000:.0f} ms)")
        sweep_s, bare_s, grid = schedule(Path(tmp))
        ratio = sweep_s / bare_s
        ok &= ratio <= SCHEDULE_TARGET and grid < GRID_TARGET
        ideal = 64 / CONCURRENCY * QUEUE_DELAY
        print(
            f"64 cells at concurrency {CONCURRENCY} (median of 3): sweep {sweep_s:.2f} s, bare "
            f"{bare_s:.2f} s: {ratio:.2f}x (target <= {SCHEDULE_TARGET}x); ideal without "
            f"render time {ideal:.2f} s"
        )
        print(f"show() of 100 outputs: {grid / 1e6:.2f} MB (target < {GRID_TARGET / 1e6:.0f} MB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
