"""History's report: every image of each run (picks marked), its settings, failures and errors."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import phota_widgets as pw
from phota_widgets.api.provenance import OFFLINE_SERVER
from phota_widgets.widgets.generate import GeneratePanel
from phota_widgets.widgets.history import HistoryPanel
from phota_widgets.widgets.history_report import history_report

KEY = "sk-planted-SECRET-1234567890"


class Sent:
    def __init__(self) -> None:
        self.files: list[tuple[str, bytes]] = []

    def __call__(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        self.files.append((content["name"], bytes(buffers[0])))


def _sections(page: str) -> list[str]:
    return re.findall(r'<section class="phota-report-run.*?</section>', page, flags=re.S)


def test_the_report_shows_every_image_the_pick_settings_and_failures(
    session: Any, settle: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = GeneratePanel(session)
    panel.prompt.value = "a red lighthouse"
    panel.aspect_ratio.value = "16:9"
    panel.num_outputs.value = 3
    panel.run_button.click()
    made = panel.wait(timeout=30)
    assert made is not None, panel.error.value
    panel.grid.toggles[1].value = True  # picked
    settle()
    with pytest.raises(pw.JobFailedError):  # the server cannot fetch it: the job fails
        session.enhance("http://127.0.0.1:9/never.jpg")

    history = HistoryPanel(session)
    history.refresh().result(timeout=20)
    sent = Sent()
    monkeypatch.setattr(history.tools.downloader, "send", sent)
    history.tools.report_button.click()
    name = history.tools.export_report().result(timeout=30)
    assert name is not None and name.endswith(".html")
    page = sent.files[-1][1].decode("utf-8")
    failed, succeeded = _sections(page)  # newest first, as History shows them
    assert succeeded.count("<img") == 3  # every image, not only the first
    assert succeeded.count("phota-picked") == 1 and "#1 · " in succeeded
    assert re.search(r"#1 · \d+×\d+ · picked", succeeded)
    assert "aspect ratio</td><td>16:9" in succeeded and "a red lighthouse" in succeeded
    assert "phota-run-failed" in failed and "Failed:" in failed and "never.jpg" in failed
    assert "input images</td><td>1" in failed
    assert KEY not in page
    assert OFFLINE_SERVER not in page  # a key-backed session: no offline label


def test_a_report_of_the_offline_server_says_so_on_its_face(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHOTA_API_KEY", raising=False)
    with pw.Session(output_dir=tmp_path) as s:
        s.generate("a green field")
        page = history_report(s.store, s.store.runs()).page()
    assert "phota-offline-banner" in page and f"Made by the {OFFLINE_SERVER}" in page
    (section,) = _sections(page)
    assert OFFLINE_SERVER in section


def test_the_runs_csv_of_the_offline_server_says_so_on_each_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHOTA_API_KEY", raising=False)
    with pw.Session(output_dir=tmp_path) as s:
        s.generate("a green field")
        history = HistoryPanel(s)
        history.refresh().result(timeout=20)
        sent = Sent()
        monkeypatch.setattr(history.tools.downloader, "send", sent)
        history.tools.export_csv().result(timeout=20)
        history.close()
    rows = list(csv.DictReader(io.StringIO(sent.files[-1][1].decode("utf-8"))))
    assert rows and all(row["server"] == OFFLINE_SERVER for row in rows)
