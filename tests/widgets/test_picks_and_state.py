"""Picks are obvious, downloads reach the browser, and a panel always describes one run."""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from collections.abc import Callable
from typing import Any

import ipywidgets
import pytest
from ipywidgets.widgets.widget import _remove_buffers

from phota_widgets.widgets.generate import GeneratePanel
from phota_widgets.widgets.grid_tile import PICKED_BORDER
from phota_widgets.widgets.studio import Studio


class Sent:
    """Records what a Downloader hands to the browser (instead of a front end)."""

    def __init__(self) -> None:
        self.messages: list[tuple[dict[str, Any], bytes]] = []

    def __call__(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        self.messages.append((content, bytes(buffers[0])))


def _run(panel: GeneratePanel, prompt: str, count: int) -> Any:
    panel.prompt.value = prompt
    panel.num_outputs.value = count
    panel.run_button.click()
    result = panel.wait(timeout=30)
    assert result is not None, panel.error.value
    return result


def test_a_pick_is_framed_labelled_and_compare_says_why_it_is_off(
    session: Any, settle: Callable[[], None]
) -> None:
    panel = GeneratePanel(session)
    _run(panel, "three lanterns", 3)
    grid = panel.grid
    settle()
    assert [t.description for t in grid.toggles] == ["pick"] * 3
    assert "pick exactly two to compare; 0 picked" in grid.hint.value
    grid.toggles[1].value = True  # a click in the browser
    settle()
    assert grid.toggles[1].description == "✓ picked" and grid.toggles[1].button_style == "success"
    assert "phota-picked" in grid.cell_boxes[1]._dom_classes
    assert grid.cell_boxes[1].layout.border == PICKED_BORDER
    assert "phota-picked" not in grid.cell_boxes[0]._dom_classes
    assert grid.compare_button.disabled and "1 picked" in grid.hint.value
    grid.toggles[0].value = True
    grid.toggles[2].value = True
    settle()
    assert grid.compare_button.disabled and "3 picked" in grid.compare_button.tooltip
    grid.toggles[2].value = False
    settle()
    assert not grid.compare_button.disabled and grid.hint.value == ""
    grid.compare_button.click()
    settle()
    assert grid.preview.outputs and "#0" in grid.preview.outputs[0]["data"]["text/plain"]


def test_download_sends_the_file_to_the_browser_and_keeps_no_bytes(
    session: Any, settle: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = GeneratePanel(session)
    result = _run(panel, "two kites", 2)
    grid = panel.grid
    sent = Sent()
    monkeypatch.setattr(grid.downloader, "send", sent)
    settle()
    assert grid.download_button.description == "Download all"
    grid.download_button.click()  # nothing picked: every output, as one zip
    settle()
    ((content, data),) = sent.messages
    assert content["name"].endswith(".zip") and content["mime"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == sorted(
            f"generate_{result.run_id[:12]}_{img.index}.{img.format}" for img in result.images
        )
        assert archive.read(archive.namelist()[0]) in [img.tagged_data() for img in result.images]
    grid.toggles[1].value = True
    settle()
    assert grid.download_button.description == "Download 1 picked"
    grid.download_button.click()  # one picked: the image itself
    settle()
    content, data = sent.messages[-1]
    assert content["mime"] == "image/jpeg" and data == result.images[1].tagged_data()
    assert "phota-download-one" in grid.cells.children[0].children[2].children[2]._dom_classes
    grid.cells.children[0].children[2].children[2].click()  # a tile's own download
    settle()
    assert sent.messages[-1][1] == result.images[0].tagged_data()
    assert grid.downloader.count == 3
    for widget in _widgets():  # no image bytes in any widget state (thumbnails are JPEGs)
        state, _, buffers = _remove_buffers(widget.get_state())
        assert not any(img.data in bytes(b) for img in result.images for b in buffers)
        assert len(json.dumps(state, default=str)) < 100_000  # no encoded image in a trait


def test_opening_a_run_from_history_brings_its_prompt_settings_status_and_picks(
    session: Any, settle: Callable[[], None]
) -> None:
    studio = Studio(session)
    panel = studio.generate
    panel.aspect_ratio.value = "16:9"
    first = _run(panel, "a green kite", 2)
    panel.grid.toggles[1].value = True
    settle()
    panel.aspect_ratio.value = "1:1"
    _run(panel, "a blue boat", 1)
    assert studio.history.open_run(first.run_id).result(timeout=20) is not None
    settle()
    assert panel.prompt.value == "a green kite"
    assert panel.aspect_ratio.value == "16:9" and panel.num_outputs.value == 2
    assert f"showing run {first.run_id} from History" in panel.status.value
    assert panel.grid.toggles[1].value and panel.grid.toggles[1].description == "✓ picked"
    assert "1 pick(s) of this run restored" in panel.grid.message.value
    assert "#1" in panel.grid.message.value
    assert panel.error.value == ""


def test_a_failed_run_says_the_grid_below_is_from_before(
    session: Any, settle: Callable[[], None]
) -> None:
    panel = GeneratePanel(session)
    first = _run(panel, "a red house", 1)
    panel.prompt.value = ""
    panel.run_button.click()
    assert panel.wait(timeout=10) is None
    settle()
    assert panel.error.value
    assert "Earlier result" in panel.grid.earlier.value
    assert first.run_id in panel.grid.earlier.value
    _run(panel, "a blue house", 1)
    settle()
    assert panel.grid.earlier.value == ""


def _widgets() -> list[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return list(ipywidgets.Widget.widgets.values())
