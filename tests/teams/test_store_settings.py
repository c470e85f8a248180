"""The three store settings: arguments, CLI flags and environment; bad ones refused early."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import phota_widgets as pw
from phota_widgets.cli import main
from phota_widgets.store import RunStore, StoreLocation
from phota_widgets.store.config import FILES_ENV, INDEX_ENV, OPTIONS_ENV


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(INDEX_ENV, "sqlite:///from-env.sqlite3")
    monkeypatch.setenv(FILES_ENV, "/env/files")
    monkeypatch.setenv(OPTIONS_ENV, '{"anon": true}')
    assert StoreLocation.resolve() == StoreLocation(
        "sqlite:///from-env.sqlite3", "/env/files", {"anon": True}
    )
    given = StoreLocation.resolve("sqlite:///given.sqlite3", Path("/given"), {"k": 1})
    assert given == StoreLocation("sqlite:///given.sqlite3", "/given", {"k": 1})
    monkeypatch.setenv(OPTIONS_ENV, "[1, 2]")
    with pytest.raises(ValueError, match="PHOTA_STORE_OPTIONS must be a JSON object"):
        StoreLocation.resolve()
    for name in (INDEX_ENV, FILES_ENV, OPTIONS_ENV):
        monkeypatch.delenv(name)
    assert StoreLocation.resolve() == StoreLocation()


def test_a_session_uses_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = tmp_path / "team.sqlite3"
    monkeypatch.setenv(INDEX_ENV, f"sqlite:///{index}")
    monkeypatch.setenv(FILES_ENV, str(tmp_path / "shared-files"))
    with (
        pw.LocalServer(api_key="k") as server,
        pw.Session(api_key="k", base_url=server.base_url, output_dir=tmp_path / "cache") as s,
    ):
        result = s.generate("a teapot")
        assert index.exists() and not (tmp_path / "cache" / "runs.sqlite3").exists()
        (output,) = s.store.get(result.run_id or "").outputs
        assert output.path.is_relative_to(tmp_path / "shared-files")
        assert "team.sqlite3" in repr(s.store)


def test_unsupported_or_unreachable_settings_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SQLite or PostgreSQL"):
        RunStore(tmp_path, index_url="mysql://user@host/db")


def test_a_password_in_the_index_url_is_never_shown(pg_url: str, tmp_path: Path) -> None:
    secret_url = pg_url.replace("phota@", "phota:hunter2-secret@")  # trust auth ignores it
    with RunStore(tmp_path, index_url=secret_url, files_url=tmp_path / "f") as store:
        assert "hunter2-secret" not in repr(store) and "***" in store.index_display


def test_the_cli_refuses_bad_storage_options_before_any_work(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = dict(os.environ)
    code = main(["demo", "--out", str(tmp_path / "demo"), "--storage-options", "not json"])
    assert code == 2
    assert "--storage-options must be a JSON object" in capsys.readouterr().err
    assert not (tmp_path / "demo").exists()
    assert dict(os.environ) == before
