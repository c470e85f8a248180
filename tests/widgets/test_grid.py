"""OutputGrid: thumbnails only, selection, open full size, save, compare, before/after, send to.

The grid's widgets are written on the UI thread: a test waits for it (``settle()`` or the future
a method returns) before reading them.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import phota_widgets as pw
from phota_widgets.widgets.generate import GeneratePanel
from phota_widgets.widgets.grid import OutputGrid


@pytest.fixture
def photos_result(data: Path) -> pw.Result:
    """A result made of the sample photos, not from any run (no run id)."""
    names = ["astronaut.jpg", "chelsea.jpg", "coffee.jpg"]
    images = [pw.OutputImage(i, data=(data / n).read_bytes()) for i, n in enumerate(names)]
    return pw.Result(endpoint="edit", images=images)


def _preview_jpeg(grid: OutputGrid) -> list[Image.Image]:
    html = grid.preview.outputs[0]["data"]["text/html"]
    found = re.findall(r"data:image/jpeg;base64,([A-Za-z0-9+/=]+)", html)
    return [Image.open(io.BytesIO(base64.b64decode(b))) for b in found]


def test_4x4k_result_adds_well_under_1mb_of_widget_state(session: Any) -> None:
    panel = GeneratePanel(session)
    panel.prompt.value = "a crowded market street at noon, many colours"
    panel.num_outputs.value = 4
    panel.resolution.value = "4K"
    panel.run_button.click()
    result = panel.wait(timeout=60)
    assert result is not None, panel.error.value
    assert all(img.size == (4096, 4096) for img in result.images)

    full = sum(len(img.data) for img in result.images)
    thumbs = sum(len(t.value) for t in panel.grid.thumbs)
    assert len(panel.grid.thumbs) == 4
    assert thumbs < 1_000_000 and thumbs < full / 20
    assert all(max(Image.open(io.BytesIO(t.value)).size) <= 512 for t in panel.grid.thumbs)
    assert all(t.format == "jpeg" for t in panel.grid.thumbs)
    print(f"\n4x4K jpg: outputs {full / 1e6:.1f} MB, grid thumbnails {thumbs / 1e3:.1f} kB")


def test_open_full_size_shows_a_preview_and_the_stored_path(
    session: Any, settle: Callable[[], None]
) -> None:
    panel = GeneratePanel(session)
    panel.prompt.value = "a tall tower"
    panel.resolution.value = "2K"
    panel.run_button.click()
    result = panel.wait(timeout=30)
    assert result is not None

    panel.grid.open_buttons[0].click()
    settle()

    text = panel.grid.preview.outputs[0]["data"]["text/plain"]
    stored = session.store.get(result.run_id).outputs[0].path
    assert str(stored) in text and stored.read_bytes() == result.images[0].data
    (preview,) = _preview_jpeg(panel.grid)
    assert max(preview.size) == 1024


def test_selection_drives_compare_and_before_after(
    photos_result: pw.Result, data: Path, settle: Callable[[], None]
) -> None:
    grid = OutputGrid(before=lambda: data / "rocket.jpg")
    grid.show_result(photos_result).result(timeout=10)
    assert len(grid.thumbs) == 3 and grid.compare_button.disabled
    assert {"phota-thumb"} <= set(grid.thumbs[0]._dom_classes)
    assert {"phota-select"} <= set(grid.toggles[0]._dom_classes)

    grid.toggles[0].value = True
    settle()
    assert grid.compare_button.disabled and not grid.before_after_button.disabled
    grid.before_after_button.click()
    settle()
    assert "before/after #0" in grid.preview.outputs[0]["data"]["text/plain"]

    grid.toggles[2].value = True
    settle()
    assert not grid.compare_button.disabled and grid.before_after_button.disabled
    grid.compare_button.click()
    settle()
    assert grid.preview.outputs[0]["data"]["text/plain"] == "compare #0 and #2"
    assert all(max(img.size) <= 1024 for img in _preview_jpeg(grid))


def test_before_after_is_hidden_without_an_input(photos_result: pw.Result) -> None:
    grid = OutputGrid()
    grid.show_result(photos_result).result(timeout=10)
    assert grid.before_after_button.layout.display == "none"


def test_save_writes_the_selection_or_everything(
    photos_result: pw.Result, tmp_path: Path, settle: Callable[[], None]
) -> None:
    grid = OutputGrid(default_folder=tmp_path / "out")
    grid.show_result(photos_result).result(timeout=10)
    grid.toggles[1].value = True
    grid.save_button.click()
    settle()
    saved = sorted((tmp_path / "out").iterdir())
    assert len(saved) == 1 and saved[0].read_bytes() == photos_result.images[1].tagged_data()
    assert pw.read_settings(saved[0]) is not None  # the file carries its prompt and settings

    grid.toggles[1].value = False
    grid.folder.value = str(tmp_path / "all")
    grid.save_button.click()
    settle()
    assert len(list((tmp_path / "all").iterdir())) == 3
    assert "saved 3" in grid.message.value
    assert grid.save(tmp_path / "again").result(timeout=10) == sorted(
        (tmp_path / "again").iterdir()
    )


def test_send_to_calls_back_with_the_selected_output(
    photos_result: pw.Result, settle: Callable[[], None]
) -> None:
    sent: list[tuple[str, pw.OutputImage]] = []
    grid = OutputGrid()
    grid.show_result(photos_result).result(timeout=10)
    assert grid.send_button.disabled  # no targets yet

    grid.set_targets(["Edit", "Enhance"], lambda name, img: sent.append((name, img)))
    settle()
    assert grid.send_button.disabled  # nothing selected among three
    grid.toggles[2].value = True
    grid.send_target.value = "Enhance"
    grid.send_button.click()
    assert sent == [("Enhance", photos_result.images[2])]
    settle()
    assert "sent #2 to Enhance" in grid.message.value


def test_stored_picks_come_back_when_a_run_is_reopened(session: Any) -> None:
    result = session.run("generate", prompt="two pears", num_output_images=2)
    session.store.set_pick(result.run_id, 1, True)
    grid = OutputGrid(session)
    grid.show_result(session.result(result.run_id)).result(timeout=10)
    assert [t.value for t in grid.toggles] == [False, True]
    assert [img.index for img in grid.selected] == [1]


def test_a_new_result_closes_the_old_thumbnails(photos_result: pw.Result) -> None:
    grid = OutputGrid()
    grid.show_result(photos_result).result(timeout=10)
    old = [*grid.thumbs, *grid.toggles]
    assert all(widget.comm is not None for widget in old)
    grid.show_result(photos_result).result(timeout=10)
    assert all(widget.comm is None for widget in old)  # gone from the page and its state
    assert all(widget.comm is not None for widget in grid.thumbs)
