"""The run store on a team's systems: PostgreSQL for the index, S3 (moto) for the files."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import threading
from pathlib import Path

import pytest
import s3fs
from PIL import Image
from sqlalchemy import create_engine, text
from teams_services import SharedStore

from phota_widgets.store import SCHEMA_VERSION, RunStore


def image(color: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buf, format="PNG")
    return buf.getvalue()


def open_store(tmp_path: Path, shared: SharedStore, name: str) -> RunStore:
    return RunStore(
        tmp_path / name,
        index_url=shared.index_url,
        files_url=shared.files_url,
        storage_options=shared.storage_options,
    )


def test_two_machines_share_runs_files_and_picks(tmp_path: Path, shared: SharedStore) -> None:
    with open_store(tmp_path, shared, "alice") as alice, open_store(tmp_path, shared, "bob") as bob:
        assert alice.shared and "s3://" in repr(alice)
        run_id = alice.start_run("generate", {"prompt": "A Shared Fox"}, backend="local")
        data = image((200, 10, 10))
        alice.add_output(run_id, 0, data, "png")
        alice.finish_run(run_id, status="succeeded", cost=0.09, elapsed=1.0)
        sha = alice.store_input(image((1, 2, 3)), ".png")

        seen = bob.get(run_id)  # another cache folder: the bytes come from S3
        assert seen.status == "succeeded" and seen.params == {"prompt": "A Shared Fox"}
        assert seen.outputs[0].read_bytes() == data
        assert seen.outputs[0].path.is_relative_to(tmp_path / "bob")
        assert bob.thumbnail(seen.outputs[0], max_px=16)[:2] == b"\xff\xd8"
        found = bob.input_path(sha)
        assert found is not None and found.read_bytes() == image((1, 2, 3))
        assert [r.run_id for r in bob.runs(prompt="shared fox")] == [run_id]  # ILIKE
        assert bob.count(endpoint="generate") == 1 and len(bob) == 1
        assert bob.total_cost() == pytest.approx(0.09)

        alice.set_pick(run_id, 0, judge="alice")
        bob.set_pick(run_id, 0, judge="bob")
        assert [o.run_id for o in bob.picks(judge="alice")] == [run_id]
        bob.set_pick(run_id, 0, picked=False, judge="bob")
        assert bob.picks(judge="bob") == [] and bob.get(run_id).outputs[0].picked
        assert alice.judges() == ["alice"]

        frame = bob.to_dataframe()
        assert list(frame["run_id"]) == [run_id] and frame.loc[0, "n_outputs"] == 1
        assert frame.loc[0, "param_prompt"] == "A Shared Fox"


def test_uploads_are_idempotent_and_content_addressed(tmp_path: Path, shared: SharedStore) -> None:
    data = image((9, 99, 9))
    sha = hashlib.sha256(data).hexdigest()
    fs = s3fs.S3FileSystem(**shared.storage_options)
    remote = f"{shared.files_url.removeprefix('s3://')}/images/{sha[:2]}/{sha}.png"
    with open_store(tmp_path, shared, "a") as a, open_store(tmp_path, shared, "b") as b:
        first = a.start_run("generate", {"prompt": "x"})
        a.add_output(first, 0, data, "png")
        stamp = fs.info(remote)["LastModified"]
        second = b.start_run("generate", {"prompt": "y"})
        b.add_output(second, 2, data, "png")
        fs.invalidate_cache()
        assert fs.info(remote)["LastModified"] == stamp  # not uploaded again
        assert len(fs.find(shared.files_url.removeprefix("s3://") + "/images")) == 1
        assert a.get(second).outputs[0].sha256 == sha


def test_the_schema_is_created_and_versioned_by_the_package(
    tmp_path: Path, shared: SharedStore
) -> None:
    open_store(tmp_path, shared, "first").close()
    engine = create_engine(shared.index_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM phota_schema")).scalar() == SCHEMA_VERSION
        conn.execute(text("UPDATE phota_schema SET version = 99"))
        conn.commit()
    engine.dispose()
    with pytest.raises(RuntimeError, match="v99"):
        open_store(tmp_path, shared, "second")


def test_concurrent_openers_and_writers_lose_nothing(tmp_path: Path, shared: SharedStore) -> None:
    errors: list[BaseException] = []
    made: list[str] = []
    barrier = threading.Barrier(4)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            with open_store(tmp_path, shared, f"w{n}") as store:
                for i in range(5):
                    run_id = store.start_run("generate", {"prompt": f"{n}-{i}"})
                    store.add_output(run_id, 0, image((n * 40, i * 40, 7)), "png")
                    store.finish_run(run_id, status="succeeded")
                    made.append(run_id)
        except BaseException as exc:  # pragma: no cover - only on failure
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_store(tmp_path, shared, "reader") as reader:
        runs = reader.runs(status="succeeded")
        assert sorted(r.run_id for r in runs) == sorted(made) and len(made) == 20
        assert all(r.outputs[0].read_bytes()[:4] == b"\x89PNG" for r in runs)


def test_a_single_user_sqlite_store_of_schema_v1_is_migrated(tmp_path: Path) -> None:
    root = tmp_path / "old"
    root.mkdir()
    conn = sqlite3.connect(root / "runs.sqlite3")
    conn.executescript(
        """
        CREATE TABLE runs (run_id TEXT PRIMARY KEY, endpoint TEXT NOT NULL, params TEXT NOT NULL,
            prompt TEXT, status TEXT NOT NULL, created_at REAL NOT NULL, backend TEXT NOT NULL,
            request_id TEXT, job_id TEXT, client_request_id TEXT, elapsed REAL, cost REAL,
            error TEXT, known_subjects TEXT NOT NULL DEFAULT '{}', note TEXT);
        CREATE TABLE outputs (run_id TEXT NOT NULL REFERENCES runs (run_id), idx INTEGER NOT NULL,
            sha256 TEXT NOT NULL, output_format TEXT NOT NULL, width INTEGER NOT NULL,
            height INTEGER NOT NULL, picked INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (run_id, idx));
        INSERT INTO runs VALUES ('r1', 'generate', '{"prompt": "old"}', 'old', 'succeeded',
            1.0, 'local', NULL, NULL, NULL, NULL, 0.09, NULL, '{}', NULL);
        INSERT INTO outputs VALUES ('r1', 0, 'ab', 'png', 1, 1, 1);
        PRAGMA user_version = 1;
        """
    )
    conn.close()
    with RunStore(root) as store:
        assert store.get("r1").outputs[0].picked
        counted = store.to_dataframe().set_index("run_id").loc["r1"]
        assert (counted["n_outputs"], counted["picks"]) == (1, 1)  # backfilled by the migration
        assert [o.run_id for o in store.picks(judge="(earlier)")] == ["r1"]
        store.set_pick("r1", 0, picked=False)
        assert store.picks() == []
    version = sqlite3.connect(root / "runs.sqlite3").execute("PRAGMA user_version").fetchone()
    assert version[0] == SCHEMA_VERSION
