"""History: settings and picks on each row, runs side by side, CSV and report downloads."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest

from phota_widgets.widgets.generate import GeneratePanel
from phota_widgets.widgets.history import HistoryPanel


class Sent:
    def __init__(self) -> None:
        self.files: list[tuple[str, bytes]] = []

    def __call__(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        self.files.append((content["name"], bytes(buffers[0])))


@pytest.fixture
def two_runs(session: Any, settle: Callable[[], None]) -> tuple[Any, Any]:
    panel = GeneratePanel(session)
    panel.prompt.value = "a red lighthouse"
    panel.aspect_ratio.value = "16:9"
    panel.num_outputs.value = 3
    panel.run_button.click()
    first = panel.wait(timeout=30)
    assert first is not None, panel.error.value
    panel.grid.toggles[2].value = True  # picked
    settle()
    panel.prompt.value = "a blue boat"
    panel.aspect_ratio.value = "1:1"
    panel.num_outputs.value = 2
    panel.run_button.click()
    second = panel.wait(timeout=30)
    assert second is not None, panel.error.value
    return first, second


def test_rows_show_settings_and_picks(session: Any, two_runs: tuple[Any, Any]) -> None:
    first, _ = two_runs
    history = HistoryPanel(session)
    history.refresh().result(timeout=20)
    row = next(r for r in history.rows if r.run_id == first.run_id)
    assert "16:9" in row.info.value and "nb2" in row.info.value
    assert "picked #2" in row.info.value
    assert row.thumbs[2].layout.border.startswith("3px solid")
    assert "transparent" in row.thumbs[0].layout.border


def test_runs_side_by_side_show_each_runs_picks_or_all(
    session: Any, two_runs: tuple[Any, Any]
) -> None:
    first, second = two_runs
    history = HistoryPanel(session)
    history.refresh().result(timeout=20)
    assert history.tools.side_by_side().result(timeout=20) == 0  # nothing ticked
    assert "tick the runs" in history.tools.message.value
    for row in history.rows:
        assert "phota-history-check" in row.check._dom_classes
        row.check.value = True  # a click on each row's box
    history.tools.side_by_side_button.click()
    shown = history.tools.side_by_side().result(timeout=20)
    assert shown == 1 + 2  # the first run's one pick, and both outputs of the unpicked run
    html = history.output.outputs[0]["data"]["text/html"]
    assert f"({first.run_id[:6]}) #2" in html and f"({second.run_id[:6]}) #1" in html
    assert f"({first.run_id[:6]}) #0" not in html


def test_exports_download_the_visible_runs(
    session: Any, two_runs: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_runs
    history = HistoryPanel(session)
    history.refresh().result(timeout=20)
    sent = Sent()
    monkeypatch.setattr(history.tools.downloader, "send", sent)
    history.tools.csv_button.click()
    history.tools.export_csv().result(timeout=20)
    name, data = sent.files[0]
    assert name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert [r["run_id"] for r in rows] == [second.run_id, first.run_id]  # as shown: newest first
    assert rows[1]["aspect_ratio"] == "16:9" and rows[1]["picked"] == "2"
    assert rows[0]["prompt"] == "a blue boat" and rows[0]["outputs"] == "2"
    assert rows[0]["server"] == session.backend_id  # a key-backed session: the API root it used

    history.endpoint_filter.value = "edit"  # nothing visible: an empty table, still a file
    history.refresh().result(timeout=20)
    history.tools.export_csv().result(timeout=20)
    assert len(data.splitlines()) == 3 and len(sent.files[-1][1].splitlines()) == 1
    history.endpoint_filter.value = "all"
    history.refresh().result(timeout=20)
    name = history.tools.export_report().result(timeout=30)
    assert name is not None and name.endswith(".html")
    page = sent.files[-1][1].decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "a red lighthouse" in page
    assert page.count("<img") >= 2
