"""``phota-widgets sweep`` exit codes tell the truth: paid but uncollected cells are not success.

It once exited 0 with 7 of 100 cells paid but not collected (``submitted``). Here a cell's
accepted job is left on a server that has gone away; the command must say so and exit 4, and
``s.sweep`` must warn and its result say it in its repr.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import phota_widgets as pw
from phota_widgets.cli import main
from phota_widgets.experiments.sweeps.command import EXIT_UNCOLLECTED
from phota_widgets.local import LocalServer

KEY = "sk-planted-SECRET-1234567890"
GONE = "http://127.0.0.1:9/v1/phota"
"""A backend nobody serves: the job it accepted cannot be collected now."""

EXPERIMENT = 'endpoint: generate\nprompts: ["a red kite"]\ngrid: {aspect_ratio: ["1:1", "16:9"]}\n'


def _leave_one_uncollected(store: Path) -> str:
    with sqlite3.connect(store / "runs.sqlite3") as db:
        run_id = str(db.execute("SELECT run_id FROM runs ORDER BY run_id").fetchone()[0])
        db.execute(
            "UPDATE runs SET status = 'submitted', backend = ?, job_id = 'job_elsewhere'"
            " WHERE run_id = ?",
            (GONE, run_id),
        )
    return run_id


def test_the_command_exits_4_while_paid_cells_wait_to_be_collected(
    server: LocalServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PHOTA_API_KEY", KEY)
    monkeypatch.setenv("PHOTA_BASE_URL", server.base_url)
    path = tmp_path / "kites.yaml"
    path.write_text(EXPERIMENT)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out)]) == 0
    _leave_one_uncollected(out / "runs")
    capsys.readouterr()
    assert main(["sweep", str(path), "--out", str(out)]) == EXIT_UNCOLLECTED == 4
    said = capsys.readouterr()
    assert "run the same command again to collect 1 paid cell" in said.err
    assert "Traceback" not in said.err


def test_session_sweep_warns_and_the_result_says_so(server: LocalServer, tmp_path: Path) -> None:
    grid = {"prompts": ["a red kite"], "aspect_ratio": ["1:1", "16:9"], "progress": False}
    with pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path / "runs") as s:
        first = s.sweep("generate", **grid)
        assert "not collected" not in repr(first)
        _leave_one_uncollected(tmp_path / "runs")
        with pytest.warns(UserWarning, match="1 paid cell was not collected yet"):
            again = s.sweep("generate", **grid)
    assert again.counts() == {"submitted": 1, "succeeded": 1}
    assert "1 paid cell was not collected yet: run the same sweep again" in repr(again)
