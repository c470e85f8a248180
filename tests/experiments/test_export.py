"""A sweep's export folder reads the same anywhere: images with settings, relative paths."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from sweep_helpers import KEY

import phota_widgets as pw
from phota_widgets.api.provenance import OFFLINE_SERVER, read_settings
from phota_widgets.experiments.exports.folder import export_sweep_folder
from phota_widgets.widgets.download import zip_folder


def _rows(folder: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((folder / "outputs.csv").read_text("utf-8"))))


def test_the_table_names_images_inside_the_export_each_with_its_settings(
    session: pw.Session, tmp_path: Path
) -> None:
    result = session.sweep(
        "generate",
        ["a red door", "a blue door, at night"],
        aspect_ratio=["1:1", "16:9"],
        num_output_images=2,
    )
    folder = tmp_path / "export"
    files = export_sweep_folder(result, folder, "jsonl")
    assert [p.name for p in files[:2]] == ["report.html", "outputs.csv"]
    rows = _rows(folder)
    assert len(rows) == 4 * 2
    store_root = str(session.store.root)
    for row in rows:
        assert row["path"].startswith("images/") and store_root not in row["path"]
        image = folder / row["path"]
        settings = read_settings(image)
        assert settings is not None, row["path"]
        assert settings.prompt == row["prompt"]
        assert settings.params["aspect_ratio"] == row["aspect_ratio"]
        assert f"{settings.run_id}:{settings.index}" == row["output_id"]
        assert row["server"] == session.backend_id  # the API root the runs went to
    assert KEY not in (folder / "outputs.csv").read_text("utf-8")
    # the zip the panel hands to the browser holds the same names, so its table reads there too
    with zipfile.ZipFile(io.BytesIO(zip_folder(folder))) as archive:
        names = set(archive.namelist())
    assert {row["path"] for row in rows} <= names
    assert "phota-offline-banner" not in (folder / "report.html").read_text("utf-8")
    # the run store keeps what it received
    first = next(result.outputs())
    assert read_settings(first.path) is None


def test_an_export_of_the_offline_server_says_so_on_its_face(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHOTA_API_KEY", raising=False)
    with pw.Session(output_dir=tmp_path / "runs") as s:
        result = s.sweep("generate", ["a green field"], aspect_ratio=["1:1", "4:3"])
        folder = tmp_path / "export"
        export_sweep_folder(result, folder)
    report = (folder / "report.html").read_text("utf-8")
    assert "phota-offline-banner" in report and f"Made by the {OFFLINE_SERVER}" in report
    rows = _rows(folder)
    assert rows and all(row["server"] == OFFLINE_SERVER for row in rows)
    settings = read_settings(folder / rows[0]["path"])
    assert settings is not None and settings.server == OFFLINE_SERVER
