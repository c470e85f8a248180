"""Run the performance suite: ``python -m benchmarks [--quick] [--json PATH] [--only NAME ...]``.

Prints a table (figure, value, reference, ratio, target, verdict) and writes it as JSON. A missed
target is reported, not an error: the exit status is 1 only when a benchmark crashes (or, with
``--strict``, when a target is missed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from benchmarks import (
    bench_capacity,
    bench_images,
    bench_jobs,
    bench_kernel,
    bench_memory,
    bench_startup,
    bench_store,
)
from benchmarks.harness import Config, Figure, table

SUITES: dict[str, Callable[[Config], list[Figure]]] = {
    "startup": bench_startup.run,
    "jobs": bench_jobs.run,
    "images": bench_images.run,
    "store": bench_store.run,
    "kernel": bench_kernel.run,
    "memory": bench_memory.run,
    "capacity": bench_capacity.run,
}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen suites; print and save the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small workloads (CI)")
    parser.add_argument("--json", default="benchmark-results.json", help="where to write JSON")
    parser.add_argument("--only", nargs="*", choices=sorted(SUITES), help="suites to run")
    parser.add_argument("--strict", action="store_true", help="exit 1 on a missed target")
    args = parser.parse_args(argv)
    os.environ.pop("PHOTA_API_KEY", None)
    config = Config.make(args.quick)
    figures: list[Figure] = []
    crashed: list[str] = []
    started = time.perf_counter()
    for name in args.only or list(SUITES):
        print(f"== {name} ...", file=sys.stderr, flush=True)
        try:
            figures.extend(SUITES[name](config))
        except Exception:
            traceback.print_exc()
            crashed.append(name)
    print(table(figures))
    report = {
        "mode": "quick" if args.quick else "full",
        "config": config.__dict__,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "seconds": round(time.perf_counter() - started, 1),
        "figures": [f.as_dict() for f in figures],
        "crashed": crashed,
    }
    Path(args.json).write_text(json.dumps(report, indent=2, default=str))
    missed = [f.name for f in figures if f.ok is False]
    print(f"\n{len(figures)} figures, {len(missed)} targets missed, {len(crashed)} suites crashed;"
          f" JSON in {args.json} ({report['seconds']} s)")  # fmt: skip
    if crashed:
        print("CRASHED: " + ", ".join(crashed), file=sys.stderr)
        return 1
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
