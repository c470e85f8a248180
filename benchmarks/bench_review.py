"""Judges and comparisons: agreement over 10,000 stored judgements, two 1,000-cell sweeps
compared, and the judgements-needed estimate.

Agreement is measured on judgements read from a real run store (filled through the public API,
in /dev/shm when there is one): building the table of every two judges, and apart from it the
store's read of those judgements. The comparison joins two
``to_dataframe()``-shaped tables of 1,000 cells with check and score columns (building those
tables from a store is the sweep's own cost, measured by the store suite). The key press to the
next pair in a real browser is measured by ``bench_review_keys``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas

import phota_widgets as pw
from benchmarks import bench_review_keys
from benchmarks.harness import Config, Figure, interleaved
from phota_widgets.experiments.compare.comparison import compare_frames
from phota_widgets.experiments.review.agreement import oriented_answers, table_of
from phota_widgets.experiments.review.needed import judgements_needed
from phota_widgets.experiments.review.ranking import Comparison, rank

UNREACHABLE = "http://127.0.0.1:9/v1/phota"
WINNERS = ("a", "b", "tie", "both_bad")


def _judge_store(store: pw.RunStore, count: int) -> list[str]:
    rng = np.random.default_rng(0)
    ids = [f"run{k}:{side}" for k in range(count // 2) for side in (0, 1)]
    for k in range(count // 2):
        first = WINNERS[int(rng.integers(0, 4))]
        second = first if rng.random() < 0.7 else WINNERS[int(rng.integers(0, 4))]
        store.add_judgement(f"run{k}:0", f"run{k}:1", first, judge="ana")
        store.add_judgement(f"run{k}:1", f"run{k}:0", second, judge="ben")
    return ids


def _sweep_frame(cells: int, seed: int) -> pandas.DataFrame:
    rng = np.random.default_rng(seed)
    return pandas.DataFrame(
        {
            "output_id": [f"r{seed}-{c}:0" for c in range(cells)],
            "cell": [f"c{c}" for c in range(cells)],
            "prompt": [f"prompt {c // 10}" for c in range(cells)],
            "input": None,
            "variant": [f"model=m{c % 10}" for c in range(cells)],
            "cost": 0.09,
            "latency": rng.random(cells) + 1.0,
            "check.aspect": rng.random(cells) < 0.9,
            "score.sharp": rng.random(cells),
            "passed": rng.random(cells) < 0.85,
        }
    )


def run(config: Config) -> list[Figure]:
    """Agreement at 10,000 judgements, compare at 1,000 cells, the needed estimate."""
    count = 2_000 if config.quick else 10_000
    scratch = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        session = pw.Session(api_key="bench", base_url=UNREACHABLE, output_dir=tmp, resume=False)
        try:
            ids = _judge_store(session.store, count)
            first, second = _sweep_frame(1_000, 1), _sweep_frame(1_000, 2)
            second["prompt"], second["variant"] = first["prompt"], first["variant"]
            comps = [Comparison("m0", "m1", "a" if k % 3 else "b") for k in range(30)]
            board = rank(["m0", "m1", "m2"], comps, draws=100)
            stored = session.store.judgements(ids)
            times = interleaved(
                {
                    "read": lambda: session.store.judgements(ids),
                    "agreement": lambda: table_of(oriented_answers(stored)),
                    "compare": lambda: compare_frames(first, second),
                    "needed": lambda: judgements_needed(board, comps),
                },
                config.repeats,
            )
        finally:
            session.close()
    return [
        Figure(f"agreement() over {count:,} judgements (2 judges), once read", times["agreement"],
               0.2, "s", "< 200 ms", times["agreement"] < 0.2),
        Figure(f"reading those {count:,} judgements from the run store (SQLite)", times["read"],
               0.2, "s", "-", None, note="store.judgements(ids): 500 ids per query"),
        Figure("compare() of two 1,000-cell sweeps (tables joined, deltas, pass rates)",
               times["compare"], 1.0, "s", "< 1 s", times["compare"] < 1.0),
        Figure("leaderboard attrs['needed'] (simulated from the fit, 3 variants)",
               times["needed"], 1.0, "s", "-", None),
        *bench_review_keys.run(config),
    ]  # fmt: skip
