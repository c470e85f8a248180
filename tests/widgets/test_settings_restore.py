"""An image saved or downloaded from a panel, dropped back into a panel, restores its settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from upload_helpers import browser_chooses, browser_sends

from phota_widgets.api.provenance import read_settings
from phota_widgets.widgets.edit import EditPanel
from phota_widgets.widgets.enhance import EnhancePanel
from phota_widgets.widgets.generate import GeneratePanel


class Sent:
    def __init__(self) -> None:
        self.files: list[tuple[str, bytes]] = []

    def __call__(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        self.files.append((content["name"], bytes(buffers[0])))


def _generate(session: Any) -> GeneratePanel:
    panel = GeneratePanel(session)
    panel.prompt.value = "a red kite over chalk hills, late light"
    panel.aspect_ratio.value = "16:9"
    panel.num_outputs.value = 2
    panel.output_format.value = "png"
    panel.run_button.click()
    assert panel.wait(timeout=30) is not None, panel.error.value
    return panel


def test_a_downloaded_output_uploaded_to_edit_fills_prompt_and_settings(
    session: Any, settle: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _generate(session)
    sent = Sent()
    monkeypatch.setattr(made.grid.downloader, "send", sent)
    made.grid.toggles[1].value = True
    settle()
    made.grid.download_button.click()  # the picked one, as the image itself
    settle()
    ((name, data),) = sent.files
    assert name.endswith(".png") and read_settings(data) is not None

    edit = EditPanel(session)
    assert edit.prompt.value == "" and edit.aspect_ratio.value != "16:9"
    browser_chooses(edit.images.upload, 1)  # a small PNG is sent untouched: its text chunks too
    browser_sends(edit.images.upload, name, data)
    settle()
    assert edit.prompt.value == "a red kite over chalk hills, late light"
    assert edit.aspect_ratio.value == "16:9" and edit.num_outputs.value == 2
    assert edit.output_format.value == "png"
    message = edit.images.message.value
    assert "carries its settings" in message and "made by generate" in message
    assert edit.images.value == [data]  # the image itself is the input, as dropped

    edit.run_button.click()  # and runs with them
    result = edit.wait(timeout=30)
    assert result is not None, edit.error.value
    assert session.store.get(result.run_id).params["aspect_ratio"] == "16:9"


def test_a_saved_file_chosen_on_disk_fills_the_enhance_panel(
    session: Any, settle: Callable[[], None], tmp_path: Path
) -> None:
    made = _generate(session)
    paths = made.grid.save(tmp_path / "saved").result(timeout=20)
    enhance = EnhancePanel(session)
    chooser = enhance.image.chooser
    chooser.reset(path=str(paths[0].parent), filename=paths[0].name)
    chooser._select.click()  # opens the dialog
    chooser._select.click()  # applies the selection
    settle()
    assert enhance.prompt.value == "a red kite over chalk hills, late light"
    assert enhance.output_format.value == "png"
    assert "carries its settings" in enhance.image.message.value


def test_an_image_without_settings_leaves_the_controls_alone(
    session: Any, settle: Callable[[], None], data: Path
) -> None:
    edit = EditPanel(session)
    edit.prompt.value = "my own words"
    edit.set_input(data / "chelsea.jpg").result(timeout=10)
    settle()
    assert edit.prompt.value == "my own words"
    assert "carries its settings" not in edit.images.message.value


def test_reopening_a_run_keeps_its_own_settings_not_its_inputs(
    session: Any, settle: Callable[[], None]
) -> None:
    made = _generate(session)
    tagged = made.result.images[0].tagged_data()  # an input that carries other settings
    edit = EditPanel(session)
    edit.set_params({"prompt": "make it warmer", "images": [tagged], "aspect_ratio": "1:1"})
    settle()
    assert edit.prompt.value == "make it warmer" and edit.aspect_ratio.value == "1:1"
