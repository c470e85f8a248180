"""What panels leave behind: no open widget after ``close()``, no image decoded on the kernel,
and a result that cannot be shown reported as an error, not as done."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets
import pytest

from phota_widgets.widgets import grid_tile as grid_module
from phota_widgets.widgets import picker as picker_module
from phota_widgets.widgets._panel import CapabilityPanel
from phota_widgets.widgets.edit import EditPanel
from phota_widgets.widgets.enhance import EnhancePanel
from phota_widgets.widgets.generate import GeneratePanel
from phota_widgets.widgets.history import HistoryPanel
from phota_widgets.widgets.profiles import ProfilesPanel
from phota_widgets.widgets.remix import RemixPanel
from phota_widgets.widgets.studio import Studio


def open_widgets() -> set[str]:
    """The ids of every widget still open (with a comm) in this kernel."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Widget.widgets: still the registry
        return set(ipywidgets.Widget.widgets)


def _loaded(widget: Any) -> None:
    """Wait for the background work a new panel starts (profile lists, history rows)."""
    panels = list(getattr(widget, "panels", {}).values()) or [widget]
    for panel in panels:
        if isinstance(panel, CapabilityPanel) and panel.prompt_box.profiles_loaded is not None:
            panel.prompt_box.profiles_loaded.result(timeout=10)
    for part in (getattr(widget, "history", widget), getattr(widget, "profiles", widget)):
        if isinstance(part, HistoryPanel):
            part.refresh().result(timeout=20)
        if isinstance(part, ProfilesPanel) and part.last_task is not None:
            part.last_task.result(timeout=10)


@pytest.mark.parametrize(
    "make",
    [GeneratePanel, EditPanel, EnhancePanel, RemixPanel, HistoryPanel, ProfilesPanel, Studio],
)
def test_close_leaves_no_widget_open(
    session: Any, make: Callable[[Any], Any], data: Path, settle: Callable[[], None]
) -> None:
    session.generate("a lantern at dusk")  # a row for the History
    before = open_widgets()
    widget = make(session)
    _loaded(widget)
    panel = widget.edit if isinstance(widget, Studio) else widget
    if isinstance(panel, CapabilityPanel):
        for picker in panel.inputs.values():
            picker.set(data / "coffee.jpg").result(timeout=10)  # a thumbnail cell
        panel.prompt.value = "make it warmer"
        panel.run_button.click()
        assert panel.wait(timeout=30) is not None, panel.error.value  # grid cells
    settle()
    made = open_widgets() - before
    assert len(made) > 30

    widget.close()
    settle()

    assert open_widgets() & made == set()
    assert open_widgets() - before == set()  # nor anything made afterwards


def test_the_kernel_never_decodes_an_input_image(
    session: Any, data: Path, monkeypatch: pytest.MonkeyPatch, settle: Callable[[], None],
    writers: Callable[..., Any],
) -> None:  # fmt: skip
    decoders: list[str] = []
    thumbnail = picker_module.thumbnail_jpeg

    def recording(data: bytes, *args: Any, **kwargs: Any) -> bytes:
        decoders.append(threading.current_thread().name)
        return thumbnail(data, *args, **kwargs)

    monkeypatch.setattr(picker_module, "thumbnail_jpeg", recording)
    studio = Studio(session)
    pickers = [p for panel in studio.panels.values() for p in panel.inputs.values()]
    seen = writers(*(p.thumbs for p in pickers), *(p.message for p in pickers))
    photo = (data / "coffee.jpg").read_bytes()

    studio.edit.set_input(photo)  # from a cell
    studio.enhance.image.set_state({"value": [{"name": "coffee.jpg", "type": "image/jpeg",
        "size": len(photo), "content": memoryview(photo), "last_modified": 0}]})  # fmt: skip
    studio.remix.set_input(data / "chelsea.jpg", "reference")
    studio.remix.set_input(b"not an image at all", "input")  # dropped, said in the picker
    studio.generate.prompt.value = "a red kite"
    studio.generate.run_button.click()
    result = studio.generate.wait(timeout=30)
    assert result is not None
    studio.generate.grid.send_to("Enhance")  # Send
    edited = session.edit("make it warmer", images=[photo])
    studio.history.rerun(edited.run_id or "")  # History's re-run fills the Edit picker
    assert studio.edit.wait(timeout=30) is not None
    settle()

    assert decoders and threading.main_thread().name not in decoders
    assert all(name.startswith("phota-widgets-ui") for name in decoders)
    assert "not an image" in studio.remix.input_image.message.value
    assert studio.remix.input_image.value is None
    assert studio.enhance.image.value == result.images[0].data
    assert seen.single().startswith("phota-widgets-ui")


def test_a_result_the_grid_cannot_show_is_reported_not_done(
    session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> bytes:
        raise OSError("broken image")

    monkeypatch.setattr(grid_module, "thumbnail_jpeg", broken)
    panel = GeneratePanel(session)
    panel.prompt.value = "a paper boat"
    panel.run_button.click()
    panel.wait(timeout=30)
    assert "failed while showing the result" in panel.status.value
    assert "broken image" in panel.error.value
    assert "done" not in panel.status.value
    assert not panel.run_button.disabled and panel.cancel_button.disabled
