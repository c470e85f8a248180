"""The run store at 10, 1,000 and 10,000 runs: counting, the history's HTML, the DataFrame.

The reference is ``pandas.read_sql`` of the whole runs table from the store's own database file.
Stores are filled through the public API (in /dev/shm when there is one, so filling is quick).
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pandas

import phota_widgets as pw
from benchmarks.harness import Config, Figure, interleaved, photo_bytes, skipped

UNREACHABLE = "http://127.0.0.1:9/v1/phota"
"""A Session needs an API root; the store benchmarks send nothing."""


def _fill(store: pw.RunStore, count: int, image: bytes) -> None:
    for i in range(count):
        run_id = store.start_run("generate", {"prompt": f"run {i}"}, backend="bench")
        store.add_output(run_id, 0, image, "jpg")
        store.finish_run(run_id, status="succeeded", elapsed=1.0, cost=0.09)


def _database(root: Path) -> Path | None:
    found = sorted(root.glob("*.sqlite*")) + sorted(root.glob("*.db"))
    return next((p for p in found if p.suffix not in (".sqlite3-wal", ".sqlite3-shm")), None)


def run(config: Config) -> list[Figure]:
    """len / _repr_html_ / to_dataframe at each size, against read_sql."""
    sizes = (10, 1_000) if config.quick else (10, 1_000, 10_000)
    image = photo_bytes("coffee.jpg", (64, 48))
    scratch = "/dev/shm" if Path("/dev/shm").is_dir() else None
    figures = []
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        session = pw.Session(api_key="bench", base_url=UNREACHABLE, output_dir=tmp, resume=False)
        try:
            filled = 0
            database = None
            for size in sizes:
                _fill(session.store, size - filled, image)
                filled = size
                database = database or _database(Path(tmp))
                if database is None:
                    figures.append(skipped(f"store at {size} runs", "", "no database file"))
                    continue
                figures.extend(_measure(session, database, size, config.repeats))
        finally:
            session.close()
    return figures


def _measure(session: pw.Session, database: Path, size: int, repeats: int) -> list[Figure]:
    def read_sql() -> object:
        with sqlite3.connect(database) as conn:
            return pandas.read_sql("SELECT * FROM runs", conn)

    times = interleaved(
        {
            "len": lambda: len(session.history),
            "html": lambda: session.history._repr_html_(),
            "frame": lambda: session.history.to_dataframe(),
            "read_sql": read_sql,
        },
        repeats,
    )
    ref = times["read_sql"]
    return [
        Figure(f"len(s.history) at {size:,} runs", times["len"], ref, "s", "< 20 ms",
               times["len"] < 0.020),
        Figure(f"History._repr_html_ at {size:,} runs", times["html"], ref, "s", "< 50 ms",
               times["html"] < 0.050),
        Figure(f"to_dataframe() at {size:,} runs vs pandas.read_sql", times["frame"], ref, "s",
               "<= 1.5x", times["frame"] <= 1.5 * ref),
    ]  # fmt: skip
