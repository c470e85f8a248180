"""A sweep's export folder, whole in itself: images, report, table and preference data.

``images/`` holds every output, its prompt and settings embedded
(:mod:`phota_widgets.api.provenance`); ``outputs.csv`` names them relative to the folder
(``images/<name>``), never by a path on the machine that made them, so the folder (or its zip)
reads the same anywhere. A ``server`` column, the report's banner and each image's settings say
when the embedded offline server made them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from phota_widgets.api.provenance import (
    OFFLINE_SERVER,
    ImageSettings,
    embed_settings,
    server_name,
)
from phota_widgets.csv_export import frame_csv_bytes
from phota_widgets.experiments.sweeps.report import offline_notice
from phota_widgets.files import atomic_write

if TYPE_CHECKING:
    from phota_widgets.experiments.exports.preferences import PreferenceFormat
    from phota_widgets.experiments.sweeps.result import SweepResult

IMAGES = "images"


def export_images(result: SweepResult, folder: Path) -> dict[str, str]:
    """Write every output to ``folder/images`` with its settings embedded.

    Returns:
        Output id -> its path relative to ``folder`` (``images/<name>``).
    """
    (folder / IMAGES).mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}
    for output in result.outputs():
        run = output.cell.run
        assert run is not None  # outputs() yields only cells with a run
        relative = f"{IMAGES}/{output.record.path.name}"  # the store's name: content-addressed
        settings = ImageSettings.of_call(
            run.endpoint,
            run.params,
            run_id=run.run_id,
            index=output.record.index,
            backend=run.backend,
        )
        atomic_write(folder / relative, embed_settings(output.record.read_bytes(), settings))
        written[output.output_id] = relative
    return written


def export_table(result: SweepResult, folder: Path, images: dict[str, str]) -> Path:
    """``outputs.csv``: the sweep's table with image paths relative to ``folder`` and the
    server that answered each call."""
    frame = result.to_dataframe()
    frame["path"] = [
        images.get(oid) if isinstance(oid, str) else None for oid in frame["output_id"]
    ]
    servers = {
        cell.run.run_id: server_name(cell.run.backend)
        for cell in result.cells
        if cell.run is not None
    }
    frame["server"] = [
        servers.get(rid) if isinstance(rid, str) else None for rid in frame["run_id"]
    ]
    table = folder / "outputs.csv"
    atomic_write(table, frame_csv_bytes(frame))  # formulas quoted (csv_export)
    return table


def export_sweep_folder(
    result: SweepResult, folder: Path, preference_format: PreferenceFormat | None = "trl"
) -> list[Path]:
    """Write the whole export (report, table, images, preferences) and return its main files.

    Raises:
        OSError: the folder cannot be written.
        ValueError: a stored image is missing (from the preference data).
    """
    folder.mkdir(parents=True, exist_ok=True)
    images = export_images(result, folder)
    report = result.export_html(folder / "report.html")
    table = export_table(result, folder, images)
    files = [report, table]
    if preference_format is not None:
        name = f"preferences-{preference_format}.jsonl"
        files += result.export_preferences(folder / name, format=preference_format)
    return files


def offline_export_note(result: SweepResult) -> str:
    """A sentence for beside the export when the offline server made it (else empty)."""
    if not offline_notice(result):
        return ""
    return f"Made by the {OFFLINE_SERVER}: the report, the table and every image say so."
