"""Capability panels driven as a user would: controls set, Run clicked, results in the grid.

A panel writes its widgets on the UI thread: ``panel.wait()``, a returned future or ``settle()``
comes before reading them.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from upload_helpers import browser_sends

import phota_widgets as pw
from phota_widgets.api.models import TrainingTier
from phota_widgets.widgets._panel import running as panel_module
from phota_widgets.widgets.edit import EditPanel
from phota_widgets.widgets.enhance import EnhancePanel
from phota_widgets.widgets.generate import GeneratePanel
from phota_widgets.widgets.remix import RemixPanel

KEY = "sk-planted-SECRET-1234567890"


def thumb_sizes(panel: Any) -> list[tuple[int, int]]:
    return [Image.open(io.BytesIO(t.value)).size for t in panel.grid.thumbs]


def test_generate_run_fills_the_grid_and_the_store(
    session: Any, settle: Callable[[], None]
) -> None:
    panel = GeneratePanel(session)
    panel.prompt.value = "a red rocket over a calm sea"
    panel.num_outputs.value = 2
    panel.aspect_ratio.value = "16:9"
    settle()
    assert "~$0.18 for 2 images" in panel.cost.value

    panel.run_button.click()
    result = panel.wait(timeout=30)

    assert result is not None and len(result) == 2
    assert panel.result is result
    assert len(panel.grid.thumbs) == 2
    assert all(max(size) <= 512 for size in thumb_sizes(panel))
    record = session.store.get(result.run_id)
    assert record.status == "succeeded"
    assert record.params["aspect_ratio"] == "16:9"
    assert len(record.outputs) == 2
    assert "done" in panel.status.value and "2 image(s)" in panel.status.value
    assert panel.error.value == ""
    assert not panel.run_button.disabled and panel.cancel_button.disabled


def test_select_toggles_choose_outputs_and_record_picks(session: Any) -> None:
    panel = GeneratePanel(session)
    panel.prompt.value = "three lanterns"
    panel.num_outputs.value = 3
    panel.run_button.click()
    result = panel.wait(timeout=30)
    assert result is not None

    panel.grid.toggles[0].value = True
    panel.grid.toggles[2].value = True
    assert [img.index for img in panel.selected] == [0, 2]
    picked = {o.index for o in session.store.get(result.run_id).outputs if o.picked}
    assert picked == {0, 2}

    panel.grid.toggles[0].value = False
    assert [img.index for img in panel.selected] == [2]
    picked = {o.index for o in session.store.get(result.run_id).outputs if o.picked}
    assert picked == {2}


def test_empty_prompt_is_refused_before_anything_is_sent(session: Any) -> None:
    panel = GeneratePanel(session)
    panel.prompt.value = "   "
    panel.run_button.click()

    assert panel.wait(timeout=10) is None
    assert "prompt" in panel.error.value
    assert "nothing was spent" in panel.error.value.lower()
    assert "not sent" in panel.status.value
    assert len(session.store) == 0
    assert panel.grid.thumbs == []


def test_edit_without_an_image_names_the_missing_images(session: Any) -> None:
    panel = EditPanel(session)
    panel.prompt.value = "make it brighter"
    panel.run_button.click()

    assert panel.wait(timeout=10) is None
    assert "Choose at least one photo to edit." in panel.error.value
    assert len(session.store) == 0


def test_unknown_profile_is_refused(session: Any) -> None:
    panel = GeneratePanel(session)
    assert panel.prompt_box.profiles_loaded is not None
    panel.prompt_box.profiles_loaded.result(timeout=10)
    panel.prompt.value = "a portrait of [[p_nobody]]"
    panel.run_button.click()

    assert panel.wait(timeout=10) is None
    assert "unknown profile" in panel.error.value and "p_nobody" in panel.error.value
    assert len(session.store) == 0


def test_profile_picker_lists_profiles_and_inserts_a_token(
    server: pw.LocalServer, session: Any, data: Path
) -> None:
    portrait = Image.open(data / "astronaut.jpg")
    profile = server.state.profiles.add([portrait] * 5, TrainingTier.FAST, "astro", [])
    panel = GeneratePanel(session)
    panel.prompt_box.load_profiles(refresh=True).result(timeout=10)

    assert profile.profile_id in [value for _, value in panel.profile_picker.options]
    panel.profile_picker.value = profile.profile_id
    panel.prompt.value = "a headshot of"
    panel.insert_button.click()
    assert panel.prompt.value == f"a headshot of [[{profile.profile_id}]]"

    panel.run_button.click()
    result = panel.wait(timeout=30)
    assert result is not None, panel.error.value
    assert profile.profile_id in result.known_subjects


def test_second_run_is_refused_while_one_is_running(
    slow_session: Any, settle: Callable[[], None]
) -> None:
    panel = GeneratePanel(slow_session)
    panel.prompt.value = "only once"
    panel.run_button.click()
    first = panel.task
    assert panel.running
    settle()
    assert panel.run_button.disabled

    panel.run_button.click()  # a disabled button can still be clicked from code
    assert panel.task is first
    with pytest.raises(RuntimeError, match="already running"):
        panel.start()
    panel.cancel()
    panel.wait(timeout=5)
    assert len(slow_session.store) <= 1


def test_await_run_inside_a_running_event_loop(session: Any) -> None:
    panel = GeneratePanel(session)
    panel.prompt.value = "a kite"
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    async def main() -> Any:
        beat = asyncio.create_task(ticker())
        result = await panel.run()
        beat.cancel()
        return result

    result = asyncio.run(main())
    assert isinstance(result, pw.Result) and len(result) == 1
    assert panel.result is result
    assert len(panel.grid.thumbs) == 1  # the widgets are updated when run() returns
    assert ticks > 0  # the awaiting loop kept running meanwhile


def test_await_run_raises_the_error_it_shows(session: Any) -> None:
    panel = EditPanel(session)
    panel.prompt.value = ""
    with pytest.raises(pw.InvalidRequestError):
        asyncio.run(panel.run())
    assert "prompt" in panel.error.value


def test_run_button_returns_at_once(slow_session: Any) -> None:
    panel = GeneratePanel(slow_session)
    panel.prompt.value = "patience"
    panel.run_button.click()
    assert panel.task is not None and not panel.task.done()  # the 2 s run goes on behind it
    panel.cancel()
    panel.wait(timeout=5)


def test_edit_with_a_file_chosen_on_disk(
    session: Any, data: Path, settle: Callable[[], None]
) -> None:
    panel = EditPanel(session)
    chooser = panel.images.chooser
    chooser.reset(path=str(data), filename="chelsea.jpg")
    chooser._select.click()  # opens the dialog
    chooser._select.click()  # applies the selection
    assert panel.images.value == [str(data / "chelsea.jpg")]
    settle()  # the thumbnail is made on the UI thread
    assert len(panel.images.thumbs.children) == 1

    panel.prompt.value = "make it brighter"
    panel.run_button.click()
    result = panel.wait(timeout=30)
    assert result is not None, panel.error.value
    assert session.store.get(result.run_id).endpoint == "edit"

    panel.grid.before_after_button.click()
    settle()
    assert "before" in panel.grid.preview.outputs[0]["data"]["text/plain"]


def test_upload_fills_the_picker_and_leaves_the_widget_state(session: Any, data: Path) -> None:
    panel = EnhancePanel(session)
    photo = (data / "coffee.jpg").read_bytes()
    browser_sends(panel.image.upload, "coffee.jpg", photo, part_bytes=64_000)  # in parts

    assert panel.image.value == photo
    assert panel.image.upload.files == ()  # the picker holds it; the upload keeps nothing
    state = panel.image.upload.get_state()
    assert not [k for k, v in state.items() if isinstance(v, (bytes, memoryview))]
    panel.run_button.click()
    result = panel.wait(timeout=30)
    assert result is not None, panel.error.value
    assert max(Image.open(io.BytesIO(result.images[0].data)).size) == 2048


def test_url_input_is_passed_as_a_url(session: Any, settle: Callable[[], None]) -> None:
    panel = EnhancePanel(session)
    panel.image.url.value = "not a url"
    panel.image.url_button.click()
    settle()
    assert panel.image.value is None and "http" in panel.image.message.value

    panel.image.url.value = "https://example.com/photo.jpg"
    panel.image.url_button.click()
    assert panel.image.value == "https://example.com/photo.jpg"
    assert panel.params()["image"] == "https://example.com/photo.jpg"


def test_remix_takes_input_and_reference(session: Any, data: Path) -> None:
    panel = RemixPanel(session)
    panel.set_input(data / "chelsea.jpg", slot="input")
    panel.set_input((data / "coffee.jpg").read_bytes(), slot="reference")
    with pytest.raises(ValueError, match="no image slot"):
        panel.set_input(data / "rocket.jpg", slot="mask")
    panel.run_button.click()
    result = panel.wait(timeout=30)
    assert result is not None, panel.error.value
    params = session.store.get(result.run_id).params
    assert set(params) >= {"input_image", "reference_image"}


def test_enhance_and_remix_send_only_their_parameters(session: Any, data: Path) -> None:
    for panel in (EnhancePanel(session), RemixPanel(session)):
        for name in ("aspect_ratio", "resolution", "base_model", "quality"):
            assert not hasattr(panel, name)
        panel.set_input(data / "rocket.jpg")
        assert "prompt" not in panel.params()  # optional, left out when empty
        panel.prompt.value = "keep it natural"
        assert panel.params()["prompt"] == "keep it natural"
        assert set(panel.params()) <= {"image", "input_image", "prompt", "num_output_images",
                                       "output_format"}  # fmt: skip


def test_set_params_fills_the_controls_for_a_rerun(session: Any, data: Path) -> None:
    panel = EditPanel(session)
    photo = (data / "rocket.jpg").read_bytes()
    panel.set_params({"prompt": "black and white", "images": [photo], "base_model": "flux-2",
                      "resolution": "2K", "aspect_ratio": "1:1", "num_output_images": 2,
                      "output_format": "png"})  # fmt: skip
    params = panel.params()
    assert params == {"images": [photo], "prompt": "black and white", "base_model": "flux-2",
                      "resolution": "2K", "aspect_ratio": "1:1", "num_output_images": 2,
                      "output_format": "png"}  # fmt: skip
    future = panel.rerun({"prompt": "make it warmer"})
    assert future is not None
    result = panel.wait(timeout=30)
    assert result is not None and len(result) == 2
    assert session.store.get(result.run_id).prompt == "make it warmer"


def test_recorded_profile_ids_come_back_as_prompt_tokens(session: Any) -> None:
    panel = EnhancePanel(session)
    panel.set_params({"profile_ids": ["p_a", "p_b"], "prompt": "soft light [[p_a]]"})
    assert panel.prompt.value == "soft light [[p_a]] [[p_b]]"
    panel.set_params({"profile_ids": ["p_c"]})
    assert panel.prompt.value == "[[p_c]]"


def test_a_closed_session_gives_an_error_not_a_hang(server: pw.LocalServer, tmp_path: Path) -> None:
    closed = pw.Session(api_key="sk-planted-SECRET-1234567890", base_url=server.base_url,
                        output_dir=tmp_path / "closed")  # fmt: skip
    closed.close()
    panel = GeneratePanel(closed)
    assert panel.prompt_box.profiles_loaded is not None
    assert isinstance(panel.prompt_box.profiles_loaded.exception(timeout=5), RuntimeError)
    assert "unavailable" in panel.profile_picker.options[0][0]
    panel.prompt.value = "anything"
    panel.run_button.click()
    assert panel.wait(timeout=5) is None
    assert "stopped" in panel.error.value
    assert not panel.run_button.disabled


def test_one_thread_writes_the_panel_through_a_run_and_a_cancel(
    slow_session: Any, writers: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(panel_module, "TICK_SECONDS", 0.05)  # many elapsed-time updates
    panel = GeneratePanel(slow_session)
    seen = writers(panel.status, panel.error, panel.cost, panel.run_button, panel.cancel_button,
                   panel.grid, panel.profile_picker, panel.insert_button)  # fmt: skip
    ticks: list[str] = []
    panel.status.observe(lambda c: ticks.append(c["new"]), names="value")
    panel.prompt.value = "a slow red sunrise"
    panel.num_outputs.value = 2
    panel.run_button.click()
    result = panel.wait(timeout=30)
    assert result is not None, panel.error.value
    panel.grid.toggles[1].value = True
    panel.grid.open_buttons[1].click()
    panel.show_result(result).result(timeout=10)  # what History's "open" does in the Studio

    panel.prompt.value = "cancelled before it ends"
    panel.run_button.click()
    assert panel.cancel_button.click() is None and panel.wait(timeout=10) is None
    panel.prompt_box.load_profiles(refresh=True).result(timeout=10)
    slow_session.forget_profiles()  # the listener path: the picker is filled from the loop
    panel.update_cost().result(timeout=10)

    assert any("running" in text for text in ticks)  # the ticker did write (through the UI)
    assert "cancelled" in panel.status.value
    assert seen.single(clicked=("ToggleButton",)).startswith("phota-widgets-ui")
