"""Rows of a real run store altered to point elsewhere: refused in words, never followed.

A hostile ``outputs.sha256`` (``../outside/credentials``) once made ``result()``, ``save()``,
``export_preferences`` and ``to_mlflow`` read, copy or upload any local file; a hostile
``sweep_id`` made the Experiments tab export outside its folder.
"""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import phota_widgets as pw
from phota_widgets.local import LocalServer

PLANTED_KEY = "sk-planted-SECRET-1234567890"  # the key the shared server accepts
SECRET = b"aws_secret_access_key = NOT-FOR-EXPORT-42"


@pytest.fixture
def swept(server: LocalServer, tmp_path: Path) -> Iterator[tuple[pw.Session, pw.SweepResult]]:
    """A two-cell sweep with one judgement, in a store under tmp_path/runs."""
    with pw.Session(
        api_key=PLANTED_KEY, base_url=server.base_url, output_dir=tmp_path / "runs"
    ) as session:
        result = session.sweep(
            "generate", prompts=["a red kite"], aspect_ratio=["1:1", "16:9"], progress=False
        )
        first, second = (o.output_id for o in result.outputs())
        result.judge(first, second, "a", judge="ana")
        yield session, result


def _plant(store_root: Path, sql: str, *args: object) -> None:
    with sqlite3.connect(store_root / "runs.sqlite3") as db:
        db.execute(sql, args)


def _secret_copies(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and SECRET in p.read_bytes()]


@pytest.mark.parametrize(
    ("sha", "fmt"),
    [
        ("../outside/credentials", "jpg"),
        ("a" * 64, "jpg/../../../outside/credentials"),
        ("/" + "a" * 63, "jpg"),
    ],
)
def test_a_hostile_output_row_is_refused_by_every_reader(
    swept: tuple[pw.Session, pw.SweepResult],
    tmp_path: Path,
    sha: str,
    fmt: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # a local tracking folder, no server
    session, result = swept
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "credentials.jpg").write_bytes(SECRET)
    (outside / "credentials").write_bytes(SECRET)
    run_id = result.cells[0].run.run_id  # type: ignore[union-attr]
    _plant(
        session.store.root,
        "UPDATE outputs SET sha256 = ?, output_format = ? WHERE run_id = ?",
        sha,
        fmt,
        run_id,
    )
    with pytest.raises(pw.StoreRowError, match="refused"):
        session.result(run_id)
    with pytest.raises(pw.StoreRowError):
        session.history.result(run_id).save(tmp_path / "saved")
    record = session.store.get(run_id).outputs[0]
    with pytest.raises(pw.StoreRowError):
        session.store.thumbnail(record)
    reopened = pw.SweepResult.load(session, result.sweep_id)
    with pytest.raises(pw.StoreRowError):
        reopened.export_preferences(tmp_path / "prefs" / "p.jsonl", format="jsonl")
    with pytest.raises(pw.StoreRowError):
        reopened.to_mlflow((tmp_path / "mlruns").as_uri(), experiment="hostile")
    assert _secret_copies(tmp_path / "runs") == []
    assert not (tmp_path / "saved").exists() or _secret_copies(tmp_path / "saved") == []
    for folder in ("prefs", "mlruns"):
        if (tmp_path / folder).exists():
            assert _secret_copies(tmp_path / folder) == []


def test_a_hostile_sweep_id_is_left_out_and_refused(
    swept: tuple[pw.Session, pw.SweepResult], tmp_path: Path
) -> None:
    session, result = swept
    hostile = "../../../escaped"
    _plant(
        session.store.root,
        "UPDATE sweeps SET sweep_id = ? WHERE sweep_id = ?",
        hostile,
        result.sweep_id,
    )
    _plant(
        session.store.root,
        "UPDATE sweep_cells SET sweep_id = ? WHERE sweep_id = ?",
        hostile,
        result.sweep_id,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert [i.sweep_id for i in session.sweeps()] == []
    assert any("refused" in str(w.message) for w in caught)
    with pytest.raises(pw.StoreRowError, match="sweep"):
        pw.SweepResult.load(session, hostile)

    panel = pw.SweepPanel(session)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel.list_sweeps().result(timeout=60)
    assert hostile not in [value for _, value in panel.earlier.options]
    panel.open_sweep(hostile).result(timeout=60)
    assert panel.result is None
    assert "refused" in panel.error.value
    assert panel.export().result(timeout=60) == []
    assert not (tmp_path / "escaped").exists()
    assert not list(tmp_path.parent.glob("escaped"))
