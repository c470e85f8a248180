"""The command line: ``serve`` answers over HTTP; ``demo`` runs every capability offline and spends
what it planned. (``studio`` has its own module: tests/app/test_launcher.py.)"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from process_trees import stop_tree

from phota_widgets.cli import main


def test_serve_prints_how_to_connect_and_answers(tmp_path: Path) -> None:
    env = {**os.environ, "PHOTA_API_KEY": "k1"}  # the key is never on the command line
    proc = subprocess.Popen(
        [sys.executable, "-m", "phota_widgets.cli", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "local server" in first and "stand-in" in first
        base_url = first.split(" at ")[1].strip()
        answer = httpx.get(f"{base_url}/webhook-secret", headers={"X-API-Key": "k1"}, timeout=10)
        assert answer.status_code == 200 and base_url.startswith("http://127.0.0.1:")
        assert "k1" not in proc.stdout.readline()  # taken from the environment, not printed
    finally:
        stop_tree(proc, signal.SIGTERM)


def test_demo_runs_offline_and_writes_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PHOTA_API_KEY", raising=False)
    monkeypatch.delenv("PHOTA_BASE_URL", raising=False)
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for endpoint in ("generate", "edit", "enhance", "remix", "train", "recognised"):
        assert endpoint in out
    planned = re.search(r"Planned cost: ~\$(\d+\.\d\d)", out)
    spent = re.search(r"Spent \(estimate\): \$(\d+\.\d\d)", out)
    assert planned and spent and planned.group(1) == spent.group(1), out
    assert float(spent.group(1)) > 1.0  # the profile's training is counted, not only the images
    report = (tmp_path / "report.html").read_text()
    assert report.count("<img") >= 5 and "data:image/jpeg;base64," in report
