"""Broken run stores fail in words: a ``pw.StoreError`` naming the file or URL and what to do.

Each failure is made for real: a truncated, overwritten or empty index file, a newer schema, a
write lock held by another connection, a full database, an index server nobody runs; the CLI
prints the message without a traceback and exits 5.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

import phota_widgets as pw
from phota_widgets.cli import main
from phota_widgets.experiments.sweeps.command import EXIT_STORE
from phota_widgets.store import engine as store_engine


def _filled_store(root: Path, runs: int = 200) -> None:
    with pw.RunStore(root) as store:
        run_id = store.start_run("generate", {"prompt": "a kite"})
        store.add_output(run_id, 0, b"\xff\xd8 not really a jpeg", "jpg")
        for n in range(runs):
            store.start_run("generate", {"prompt": f"a kite number {n} " + "x" * 2000})
    with sqlite3.connect(root / "runs.sqlite3") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _refusal(make: Callable[[], object]) -> pw.StoreError:
    with pytest.raises(pw.StoreError) as caught:
        make()
    return caught.value


def test_a_file_of_the_wrong_kind_is_named(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    (root / "runs.sqlite3").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    error = _refusal(lambda: pw.RunStore(root))
    assert isinstance(error, pw.StoreCorruptError)
    assert str(root / "runs.sqlite3") in str(error) and "not an SQLite database" in str(error)


def test_a_truncated_index_is_named_when_read(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    _filled_store(root)
    index = root / "runs.sqlite3"
    index.write_bytes(index.read_bytes()[: index.stat().st_size // 2])

    def read() -> object:
        with pw.RunStore(root) as store:
            return store.runs()

    error = _refusal(read)
    assert isinstance(error, pw.StoreCorruptError)
    assert str(index) in str(error) and "backup" in str(error)


def test_an_empty_index_beside_images_is_kept_aside_not_recreated(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    _filled_store(root, runs=1)
    (root / "runs.sqlite3").write_bytes(b"")
    for extra in ("runs.sqlite3-wal", "runs.sqlite3-shm"):
        (root / extra).unlink(missing_ok=True)
    error = _refusal(lambda: pw.RunStore(root))
    assert isinstance(error, pw.StoreCorruptError)
    assert "0 bytes" in str(error) and "1 output images" in str(error)
    kept = list(root.glob("runs.sqlite3.empty-*"))
    assert len(kept) == 1 and kept[0].name in str(error)
    assert not (root / "runs.sqlite3").exists()
    assert list((root / "images").glob("*/*"))  # the images are untouched


def test_a_newer_schema_says_upgrade(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    _filled_store(root, runs=1)
    with sqlite3.connect(root / "runs.sqlite3") as db:
        db.execute("PRAGMA user_version = 99")
    error = _refusal(lambda: pw.RunStore(root))
    assert isinstance(error, pw.StoreVersionError) and "upgrade phota-widgets" in str(error)


def test_a_lock_held_too_long_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_engine, "LOCK_WAIT", 0.5)  # the same path as the 30 s default
    root = tmp_path / "runs"
    _filled_store(root, runs=1)
    with pw.RunStore(root) as store:
        holder = sqlite3.connect(root / "runs.sqlite3", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process's write, never committed
        try:
            error = _refusal(lambda: store.start_run("generate", {"prompt": "blocked"}))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert isinstance(error, pw.StoreBusyError)
    assert "write lock" in str(error) and str(root / "runs.sqlite3") in str(error)


def test_a_full_database_is_named(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    with pw.RunStore(root) as store:
        store.engine.dispose()
        event.listen(
            store.engine,
            "connect",
            lambda conn, _: conn.execute("PRAGMA max_page_count = 60"),  # a disk that fills
        )

        def fill() -> None:
            for n in range(10_000):
                store.start_run("generate", {"prompt": f"{n} " + "y" * 4000})

        error = _refusal(fill)
    assert isinstance(error, pw.StoreFullError) and "free some space" in str(error)


def test_an_unreachable_index_names_the_url_never_the_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://ana:hunter2-secret@127.0.0.1:9/phota"
    error = _refusal(lambda: pw.RunStore(tmp_path / "cache", index_url=url))
    assert isinstance(error, pw.StoreUnreachableError)
    assert "127.0.0.1:9" in str(error) and "hunter2" not in str(error)


def test_the_command_prints_a_store_failure_and_exits_5(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHOTA_API_KEY", "sk-unused-0123456789abcdef")
    monkeypatch.setenv("PHOTA_BASE_URL", "http://127.0.0.1:9/v1/phota")
    experiment = tmp_path / "e.yaml"
    experiment.write_text('endpoint: generate\nprompts: ["a kite"]\n')
    runs = tmp_path / "out" / "runs"
    runs.mkdir(parents=True)
    (runs / "runs.sqlite3").write_text("this is a text file, not a database\n")
    for dry in ([], ["--dry-run"]):
        assert main(["sweep", str(experiment), "--out", str(tmp_path / "out"), *dry]) == EXIT_STORE
        said = capsys.readouterr().err
        assert said.startswith("error: run store index") and "Traceback" not in said
    index = "postgresql+psycopg://bot:pw-secret-9@127.0.0.1:9/phota"
    argv = ["sweep", str(experiment), "--out", str(tmp_path / "team"), "--index", index]
    monkeypatch.setenv("PHOTA_STORE_INDEX", "")  # main() sets it: put back after the test
    assert main(argv) == EXIT_STORE
    said = capsys.readouterr().err
    assert "does not answer" in said and "pw-secret-9" not in said and "Traceback" not in said
    assert threading.active_count() < 50  # nothing left spinning


@contextlib.contextmanager
def _read_only_view(folder: Path, mount_point: Path) -> Iterator[Path]:
    """``folder`` seen through a read-only bind mount (needs root; skipped otherwise)."""
    mount_point.mkdir()
    steps = [
        ["mount", "--bind", str(folder), str(mount_point)],
        ["mount", "-o", "remount,bind,ro", str(mount_point)],
    ]
    mounted = False
    try:
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, timeout=60)
            if done.returncode != 0:
                pytest.skip(f"no read-only mount here ({done.stderr.strip()})")
            mounted = True
        yield mount_point
    finally:
        if mounted:
            subprocess.run(["umount", str(mount_point)], capture_output=True, timeout=60)


@pytest.mark.skipif(os.geteuid() != 0, reason="a bind mount needs root")
def test_a_read_only_store_is_browsed_and_refuses_writes_in_words(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    _filled_store(root, runs=2)
    with _read_only_view(root, tmp_path / "mounted") as mounted:
        with pw.Session(
            api_key="sk-unused-0123456789abcdef",
            base_url="http://127.0.0.1:9/v1/phota",
            output_dir=mounted,
        ) as session:
            assert session.store.read_only
            assert len(session.history) == 3
            first = next(r for r in session.history if r.outputs)
            assert session.result(first.run_id).images[0].data.startswith(b"\xff\xd8")
            error = _refusal(lambda: session.store.set_note(first.run_id, "a note"))
        assert isinstance(error, pw.StoreReadOnlyError) and "read-only" in str(error)
        assert not (mounted / "owners").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="a tmpfs mount needs root")
def test_a_full_disk_for_the_images_is_named(tmp_path: Path) -> None:
    small = tmp_path / "small-disk"
    small.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(small)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        pytest.skip(f"no tmpfs mount here ({done.stderr.strip()})")
    try:
        with pw.RunStore(tmp_path / "runs", files_url=small) as store:
            run_id = store.start_run("generate", {"prompt": "a kite"})
            error = _refusal(lambda: store.add_output(run_id, 0, os.urandom(1_000_000), "png"))
        assert isinstance(error, pw.StoreFullError)
        assert str(small) in str(error) and "disk is full" in str(error)
    finally:
        subprocess.run(["umount", str(small)], capture_output=True, timeout=60)
