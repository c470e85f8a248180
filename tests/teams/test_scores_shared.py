"""Scores in a shared run store, SQLite and PostgreSQL alike: a teammate's scores are not
computed again, an error row is replaced, a sweep scored on one machine reads on another."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import phota_widgets as pw
from phota_widgets.experiments.scoring import ScoredOutput
from phota_widgets.local.server import LocalServer
from phota_widgets.store.scores import ScoreKey, ScoreRecord


@pytest.fixture(params=["sqlite", "postgresql"])
def index_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    url: str = request.getfixturevalue("pg_url")
    return url


def test_score_rows_round_trip_and_errors_are_replaced(tmp_path: Path, index_url: str) -> None:
    with pw.RunStore(tmp_path / "a", index_url=index_url, files_url=tmp_path / "f") as store:
        key = ScoreKey("sha-1", "sharpness", "sharpness/1", "p1")
        failed = ScoreRecord(key, "run:0", None, False, "model down", error=True)
        store.scores.put_many([failed])
        assert store.scores.get_many([key])[key].error
        good = ScoreRecord(key, "run:0", 0.8, True, "", tokens=120, cost=0.0001)
        store.scores.put_many([good])
        found = store.scores.get_many([key])[key]
        assert (found.value, found.passed, found.error, found.tokens) == (0.8, True, False, 120)
        store.scores.put_many([ScoreRecord(key, "run:0", 0.1, False, "later")])  # kept: first
        assert store.scores.get_many([key])[key].value == 0.8
        many = [
            ScoreRecord(ScoreKey(f"s{i}", "x", "1", "p"), f"r:{i}", i, None, "") for i in range(900)
        ]
        store.scores.put_many(many)
        assert len(store.scores.get_many(r.key for r in many)) == 900
        assert len(store.scores.for_outputs([f"r:{i}" for i in range(900)])) == 900


def test_a_teammates_scores_are_not_computed_again(
    server: LocalServer, tmp_path: Path, index_url: str
) -> None:
    calls: list[str] = []
    lock = threading.Lock()

    def wide(output: ScoredOutput) -> bool:
        with lock:
            calls.append(output.output_id)
        return output.width >= output.height

    files = tmp_path / "files"
    key = "sk-planted-SECRET-1234567890"
    with pw.Session(
        api_key=key, base_url=server.base_url, output_dir=tmp_path / "ana",
        index_url=index_url, files_url=files,
    ) as ana:  # fmt: skip
        res = ana.sweep(
            "generate", ["a kite", "a boat"], progress=False, checks=["sharpness", wide]
        )
        assert len(calls) == 2
    with pw.Session(
        api_key=key, base_url=server.base_url, output_dir=tmp_path / "ben",
        index_url=index_url, files_url=files,
    ) as ben:  # fmt: skip
        again = pw.SweepResult.load(ben, res.sweep_id).score(["sharpness", wide])
        assert len(calls) == 2
        frame = again.to_dataframe()
        assert frame["check.wide"].tolist() == [True, True]
        assert frame["score.sharpness"].notna().all()
