"""Controls: only valid option combinations, the live cost line, image pickers, CSS classes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets
import pytest

from phota_widgets.api.models import EditRequest, GenerateRequest, ImageModel
from phota_widgets.widgets.controls import ImageOptions
from phota_widgets.widgets.edit import EditPanel
from phota_widgets.widgets.enhance import EnhancePanel
from phota_widgets.widgets.generate import GeneratePanel
from phota_widgets.widgets.picker import ImagePicker
from phota_widgets.widgets.remix import RemixPanel


def test_resolution_options_follow_the_base_model() -> None:
    options = ImageOptions()
    options.base_model.value = "reve"
    assert list(options.resolution.options) == ["1K"]
    options.base_model.value = "flux-2"
    assert list(options.resolution.options) == ["1K", "2K"]
    options.base_model.value = "nb2"
    assert list(options.resolution.options) == ["1K", "2K", "4K"]


def test_an_invalid_resolution_falls_back_to_the_highest_valid_one() -> None:
    options = ImageOptions()
    options.resolution.value = "4K"
    options.base_model.value = "qwen-image-2"
    assert options.resolution.value == "2K"
    options.base_model.value = "reve"
    assert options.resolution.value == "1K"

    options.base_model.value = "nb2"
    options.resolution.value = "2K"
    options.base_model.value = "flux-2"  # still valid: kept
    assert options.resolution.value == "2K"


def test_quality_is_offered_only_for_gpt_image_2() -> None:
    options = ImageOptions()
    assert options.quality.disabled and options.quality.layout.display == "none"
    assert "quality" not in options.params()

    options.base_model.value = "gpt-image-2"
    options.quality.value = "high"
    assert not options.quality.disabled and options.quality.layout.display != "none"
    assert options.params()["quality"] == "high"

    options.base_model.value = "reve"
    assert "quality" not in options.params()


def test_every_offered_combination_is_a_valid_request() -> None:
    options = ImageOptions()
    checked = 0
    for model in ImageModel:
        options.base_model.value = model.value
        for resolution in options.resolution.options:
            options.resolution.value = resolution
            for aspect in options.aspect_ratio.options:
                options.aspect_ratio.value = aspect
                params = options.params()
                GenerateRequest.model_validate({"prompt": "x", **params})
                EditRequest.model_validate({"prompt": "x", "images": ["aGk="], **params})
                checked += 1
    assert checked == (3 + 3 + 2 + 2 + 1) * 6


def test_cost_line_follows_the_controls(session: Any, settle: Callable[[], None]) -> None:
    panel = GeneratePanel(session)
    panel.prompt.value = "a boat"
    settle()  # the cost line is written on the UI thread
    assert "~$0.09 for 1 image" in panel.cost.value
    panel.num_outputs.value = 2
    settle()
    assert "~$0.18 for 2 images" in panel.cost.value
    panel.resolution.value = "4K"
    settle()
    assert "~$0.36 for 2 images" in panel.cost.value
    panel.base_model.value = "reve"  # resolution falls back to 1K
    settle()
    assert "~$0.18 for 2 images" in panel.cost.value


def test_enhance_cost_line(session: Any) -> None:
    panel = EnhancePanel(session)
    panel.num_outputs.value = 3
    assert panel.update_cost().result(timeout=10) is None
    assert "~$0.36 for 3 images" in panel.cost.value


def test_image_picker_drops_a_file_that_is_not_an_image(
    tmp_path: Path, settle: Callable[[], None]
) -> None:
    notes = tmp_path / "notes.jpg"
    notes.write_text("not a photo")
    picker = ImagePicker("image", "Photo")
    with pytest.raises(ValueError, match="no such image file"):  # cheap checks: at once
        picker.set(tmp_path / "missing.jpg")
    picker.set(notes).result(timeout=10)  # decoded on the UI thread: dropped there
    assert picker.value is None
    assert "notes.jpg: not an image" in picker.message.value
    picker.clear().result(timeout=10)
    assert picker.message.value == ""
    picker.chooser.reset(path=str(tmp_path), filename="notes.jpg")
    picker.chooser._select.click()
    picker.chooser._select.click()
    settle()
    assert picker.value is None
    assert "not an image" in picker.message.value


def test_edit_picker_holds_one_to_ten_images(data: Path) -> None:
    picker = ImagePicker("images", "Photos", max_items=10)
    photo = (data / "rocket.jpg").read_bytes()
    picker.set(photo)
    for _ in range(9):
        picker.set(photo, append=True)
    assert isinstance(picker.value, list) and len(picker.value) == 10
    with pytest.raises(ValueError, match="at most 10"):
        picker.set(photo, append=True)
    picker.set(data / "chelsea.jpg")  # replaces
    assert picker.value == [str(data / "chelsea.jpg")]
    picker.clear_button.click()
    assert picker.value is None


def _classes(widget: Any) -> set[str]:
    return {name for w in _walk(widget) for name in getattr(w, "_dom_classes", ())}


@pytest.mark.parametrize("cls", [GeneratePanel, EditPanel, EnhancePanel, RemixPanel])
def test_every_interactive_element_has_a_stable_class(session: Any, cls: type) -> None:
    panel = cls(session)
    classes = _classes(panel)
    common = {"phota-prompt", "phota-run", "phota-cancel", "phota-grid", "phota-status",
              "phota-error", "phota-cost", "phota-profile-picker", "phota-insert-profile",
              "phota-num-outputs", "phota-output-format", "phota-save", "phota-save-folder",
              "phota-compare", "phota-send-to", "phota-send", "phota-preview"}  # fmt: skip
    assert common <= classes
    sized = {"phota-aspect-ratio", "phota-resolution", "phota-base-model", "phota-quality"}
    pickers = {"phota-image-picker", "phota-file-chooser", "phota-upload", "phota-image-url"}
    if cls in (GeneratePanel, EditPanel):
        assert sized <= classes
    else:
        assert not sized & classes
    if cls is GeneratePanel:
        assert not pickers & classes
    else:
        assert pickers <= classes
    controls = (ipywidgets.Button, ipywidgets.ToggleButton, ipywidgets.Dropdown, ipywidgets.Text,
                ipywidgets.Textarea, ipywidgets.FileUpload, ipywidgets.Select)  # fmt: skip
    unclassed = [type(c).__name__ for c in _walk(panel) if isinstance(c, controls)
                 and not c._dom_classes]  # fmt: skip
    assert unclassed == []


def _walk(widget: Any) -> list[Any]:
    found = [widget]
    for child in getattr(widget, "children", ()):
        found += _walk(child)
    return found
