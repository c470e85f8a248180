"""Choosing an input photo: samples in one click, no save field, Clear forgets the chooser too."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from phota_widgets.samples import SAMPLES, sample
from phota_widgets.widgets.edit import EditPanel
from phota_widgets.widgets.enhance import EnhancePanel
from phota_widgets.widgets.picker import ImagePicker, photo_folder


def test_a_sample_photo_is_one_click_and_runs(session: Any, settle: Callable[[], None]) -> None:
    panel = EnhancePanel(session)
    picker = panel.inputs["image"]
    names = [b.description for b in picker.samples]
    assert names == list(SAMPLES)
    assert all("phota-sample" in b._dom_classes for b in picker.samples)
    picker.samples[1].click()  # "chelsea"
    settle()
    assert picker.value == sample("chelsea.jpg")
    assert "chelsea.jpg" in picker.thumbs.children[0].children[1].value
    panel.run_button.click()
    result = panel.wait(timeout=30)
    assert result is not None, panel.error.value


def test_the_chooser_has_no_save_field_and_opens_where_photos_are(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/Pictures
    monkeypatch.chdir(tmp_path)  # a working folder without photos
    picker = ImagePicker("image", "Photo")
    assert picker.chooser._filename.layout.display == "none"
    assert "filename" not in picker.chooser._gb.layout.grid_template_areas
    folder = Path(picker.chooser.default_path)
    assert folder == photo_folder()
    assert {p.stem for p in folder.glob("*.jpg")} >= set(SAMPLES)  # the sample photos
    (tmp_path / "Pictures").mkdir()
    assert photo_folder() == tmp_path / "Pictures"
    picker.chooser.reset(path=str(data), filename="chelsea.jpg")
    picker.chooser._select.click()  # opens the dialog
    picker.chooser._select.click()  # applies the selection
    assert "orange" not in picker.chooser._label.value  # not the "overwrite" warning colour
    assert picker.value == str(data / "chelsea.jpg")


def test_clear_forgets_the_file_chooser_choice_too(
    session: Any, data: Path, settle: Callable[[], None]
) -> None:
    panel = EditPanel(session)
    chooser = panel.images.chooser
    chooser.reset(path=str(data), filename="chelsea.jpg")
    chooser._select.click()
    chooser._select.click()
    settle()
    assert chooser.selected and "chelsea.jpg" in chooser._label.value
    panel.images.clear_button.click()
    settle()
    assert panel.images.value is None
    assert chooser.selected is None and "chelsea.jpg" not in chooser._label.value
    assert Path(chooser.default_path) == data  # the folder is kept for the next choice


def test_a_sent_image_replaces_the_chosen_file_in_the_chooser(
    session: Any, data: Path, settle: Callable[[], None]
) -> None:
    panel = EnhancePanel(session)
    chooser = panel.inputs["image"].chooser
    chooser.reset(path=str(data), filename="chelsea.jpg")
    chooser._select.click()
    chooser._select.click()
    panel.set_input(sample("coffee.jpg")).result(timeout=10)
    settle()
    assert panel.inputs["image"].value == sample("coffee.jpg")
    assert chooser.selected is None
