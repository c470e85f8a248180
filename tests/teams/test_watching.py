"""A notebook watches a sweep that a server runs (``phota-widgets sweep … --index … --files …``):
its History and Experiments tabs follow the shared store without blocking the kernel."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from process_trees import stop_tree
from teams_services import SharedStore

import phota_widgets as pw
from phota_widgets.local.server import LocalServer
from phota_widgets.widgets.history import HistoryPanel
from phota_widgets.widgets.sweep import SweepPanel

pytestmark = pytest.mark.timeout(600)  # real services and processes: slow on a busy machine
KEY = "watch-key-0123456789"
EXPERIMENT = """
name: watched lighthouses
endpoint: generate
prompts: ["a lighthouse at night", "a lighthouse at dawn", "a lighthouse in snow"]
grid:
  aspect_ratio: ["1:1", "4:3"]
"""
CELLS = 6


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_history_and_experiments_follow_a_remote_sweep(
    tmp_path: Path, shared: SharedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHOTA_WATCH_SECONDS", "0.3")
    experiment = tmp_path / "experiment.yaml"
    experiment.write_text(EXPERIMENT)
    with LocalServer(api_key=KEY, faults=pw.Faults(latency=0.4)) as server:
        env = {
            **os.environ, "PHOTA_API_KEY": KEY, "PHOTA_BASE_URL": server.base_url,
            "PYTHONPATH": os.pathsep.join(sys.path),
        }  # fmt: skip
        command = [
            sys.executable, "-m", "phota_widgets.cli", "sweep", str(experiment),
            "--out", str(tmp_path / "server"), "--index", shared.index_url,
            "--files", shared.files_url, "--storage-options", json.dumps(shared.storage_options),
        ]  # fmt: skip
        with pw.Session(
            api_key=KEY, base_url=server.base_url, output_dir=tmp_path / "notebook",
            index_url=shared.index_url, files_url=shared.files_url,
            storage_options=shared.storage_options,
        ) as notebook:  # fmt: skip
            history = HistoryPanel(notebook)
            experiments = SweepPanel(notebook)
            headless: subprocess.Popen[str] | None = None
            try:
                headless = subprocess.Popen(
                    command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                )
                wait_for(lambda: bool(experiments.earlier.options), "the sweep to be listed")
                experiments.open_button.click()
                wait_for(lambda: experiments.result is not None, "the sweep to open")
                seen: set[int] = set()

                def progressed() -> bool:
                    seen.add(experiments.progress.value)
                    return experiments.progress.value == CELLS

                wait_for(progressed, "the Experiments tab to show every cell ended")
                assert len(seen) > 1  # it moved while the server ran, not only at the end
                assert experiments.progress.max == CELLS
                assert f"{CELLS} of {CELLS} cells ended" in experiments.status.value
                wait_for(lambda: history.total == CELLS, "the History tab to list every run")
                wait_for(lambda: "of 6" in history.count.value, "the History count")
                out, err = headless.communicate(timeout=120)
                assert headless.returncode == 0, err[-2000:]
                assert "report:" in out
            finally:
                if headless is not None:
                    stop_tree(headless, signal.SIGTERM)
                history.close()
                experiments.close()
