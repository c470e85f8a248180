"""Studio: every panel in tabs, results flowing between them, and no key in any widget state."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets
import pytest
from ipywidgets.widgets.widget import _remove_buffers

import phota_widgets as pw
from phota_widgets.widgets import grid_tile as grid_module
from phota_widgets.widgets.history import HistoryPanel
from phota_widgets.widgets.profiles import ProfilesPanel
from phota_widgets.widgets.studio import Studio

KEY = "sk-planted-SECRET-1234567890"
WRONG_KEY = "sk-planted-WRONG-0987654321"


def test_tabs_hold_every_panel_on_one_session(session: Any) -> None:
    studio = Studio(session)
    assert studio.tabs.titles == (
        "Generate", "Edit", "Enhance", "Remix", "Profiles", "History", "Experiments",
    )  # fmt: skip
    assert isinstance(studio.profiles, ProfilesPanel)
    assert isinstance(studio.history, HistoryPanel)
    assert all(panel.session is session for panel in studio.panels.values())
    assert "phota-studio" in studio._dom_classes
    studio.select("remix").result(timeout=10)  # the tabs are written on the UI thread
    assert studio.tabs.selected_index == 3


def test_send_to_moves_an_output_into_the_edit_panel(
    session: Any, settle: Callable[[], None]
) -> None:
    studio = Studio(session)
    studio.generate.prompt.value = "a small red house"
    studio.generate.num_outputs.value = 2
    studio.generate.run_button.click()
    result = studio.generate.wait(timeout=30)
    assert result is not None

    grid = studio.generate.grid
    assert list(grid.send_target.options) == ["Edit", "Enhance", "Remix input", "Remix reference"]
    grid.toggles[1].value = True
    grid.send_target.value = "Edit"
    grid.send_button.click()

    assert studio.edit.images.value == [result.images[1].data]
    settle()
    assert studio.tabs.selected_index == 1
    studio.edit.prompt.value = "make it black and white"
    studio.edit.run_button.click()
    edited = studio.edit.wait(timeout=30)
    assert edited is not None, studio.edit.error.value
    studio.edit.grid.toggles[0].value = True
    studio.edit.grid.before_after_button.click()  # against the sent input
    settle()
    assert studio.edit.grid.preview.outputs


def test_history_opens_and_reruns_in_the_right_panel(
    session: Any, writers: Callable[..., Any]
) -> None:
    studio = Studio(session)
    studio.generate.prompt.value = "a green kite"
    studio.generate.run_button.click()
    first = studio.generate.wait(timeout=30)
    assert first is not None and first.run_id is not None
    studio.generate.prompt.value = "something else"
    studio.generate.grid.clear()
    studio.select("History")  # the tab refreshes on show
    generate = studio.generate
    seen = writers(generate.grid, generate.status, generate.error, generate.run_button)
    seen.watch([studio.tabs])  # the tab bar, not the panels' input controls

    studio.history.open_run(first.run_id).result(timeout=10)  # read off the kernel
    assert studio.tabs.selected_index == 0
    assert len(studio.generate.grid.thumbs) == 1
    assert studio.generate.grid.result is not None
    assert studio.generate.grid.result.run_id == first.run_id

    studio.history.rerun(first.run_id)
    assert studio.generate.prompt.value == "a green kite"
    again = studio.generate.wait(timeout=30)
    assert again is not None and again.run_id != first.run_id
    assert [r.prompt for r in session.store.runs()] == ["a green kite", "a green kite"]
    assert seen.single().startswith("phota-widgets-ui")


def _key_leaks(keys: tuple[str, ...]) -> list[str]:
    leaks = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        widgets = list(ipywidgets.Widget.widgets.values())
    for widget in widgets:
        state, _, buffers = _remove_buffers(widget.get_state())
        text = json.dumps(state, default=str)
        blobs = [bytes(b) for b in buffers]
        for key in keys:
            if key in text or any(key.encode() in blob for blob in blobs):
                leaks.append(f"{type(widget).__name__}: {key}")
    return leaks


def test_no_widget_state_holds_the_key(
    session: Any, server: pw.LocalServer, tmp_path: Path, data: Path
) -> None:
    studio = Studio(session)
    studio.generate.prompt.value = "a lighthouse"
    studio.generate.run_button.click()
    assert studio.generate.wait(timeout=30) is not None
    studio.generate.grid.toggles[0].value = True
    studio.generate.grid.open_buttons[0].click()
    studio.select("History")

    wrong = pw.Session(api_key=WRONG_KEY, base_url=server.base_url, output_dir=tmp_path / "w")
    try:
        refused = Studio(wrong)
        refused.enhance.set_input(data / "coffee.jpg")
        refused.enhance.run_button.click()
        assert refused.enhance.wait(timeout=30) is None
        assert "401" in refused.enhance.error.value
        assert refused.enhance.prompt_box.profiles_loaded is not None
        refused.enhance.prompt_box.profiles_loaded.exception(timeout=10)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            assert len(ipywidgets.Widget.widgets) > 100
        assert _key_leaks((KEY, WRONG_KEY, "SECRET", "WRONG")) == []
    finally:
        wrong.close()


def test_a_planted_key_in_state_would_be_found(session: Any) -> None:
    studio = Studio(session)
    studio.generate.prompt.value = f"oops {KEY}"
    assert _key_leaks((KEY,)) == ["Textarea: " + KEY]


def test_studio_without_a_session_makes_one_and_closes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PHOTA_API_KEY", raising=False)
    studio = Studio()
    session = studio.session
    local = session.local_server
    assert session.is_local and local is not None
    studio.generate.prompt.value = "a quiet lake"
    studio.generate.run_button.click()
    task = studio.generate.task
    studio.close()
    assert task is not None and task.done()
    assert studio.generate.comm is None and studio.generate.grid.comm is None
    assert not local.running


def test_a_run_history_cannot_show_leaves_the_tab_and_says_why(
    session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    studio = Studio(session)
    run = session.generate("a paper boat")
    studio.select("History").result(timeout=10)

    def broken(*_args: Any, **_kwargs: Any) -> bytes:
        raise OSError("broken image")

    monkeypatch.setattr(grid_module, "thumbnail_jpeg", broken)
    assert studio.history.open_run(run.run_id).result(timeout=20) is None
    assert "broken image" in studio.history.error.value
    assert f"could not open run {run.run_id}" in studio.history.status.value
    assert studio.tabs.selected_index == 5  # still History, where the error is
    assert studio.generate.result is None


def test_history_rerun_is_refused_while_the_panel_runs(
    slow_session: Any, settle: Callable[[], None]
) -> None:
    store = slow_session.store
    planted = store.start_run("generate", {"prompt": "a planted kite", "num_output_images": 1},
                              backend=slow_session.backend)  # fmt: skip
    store.finish_run(planted, status="succeeded")
    studio = Studio(slow_session)
    studio.generate.prompt.value = "the run under way"
    studio.generate.run_button.click()
    task = studio.generate.task
    assert studio.generate.running

    studio.history.rerun(planted)
    settle()
    assert "not re-run: generate is running" in studio.history.status.value
    assert studio.generate.prompt.value == "the run under way"  # the controls were left alone
    assert studio.generate.task is task
    studio.generate.cancel()
    studio.generate.wait(timeout=10)


def test_the_header_follows_a_login(
    server: pw.LocalServer, tmp_path: Path, eventually: Callable[..., bool]
) -> None:
    with pw.LocalServer() as stand_in:
        session = pw.Session(output_dir=tmp_path / "s", local_server=stand_in)
        try:
            studio = Studio(session)
            assert "offline · local stand-in server" in studio.header.value
            assert "phota-studio-header" in studio.header._dom_classes
            session.use_key(KEY, server.base_url)  # what LoginBox does
            assert eventually(lambda: server.base_url in studio.header.value)
            assert "stand-in" not in studio.header.value
        finally:
            session.close()


def test_the_studio_shows_the_offline_notice_instead_of_printing_it(
    server: pw.LocalServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    eventually: Callable[..., bool],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PHOTA_API_KEY", raising=False)
    monkeypatch.delenv("PHOTA_BASE_URL", raising=False)
    studio = Studio()
    try:
        assert capsys.readouterr().out == ""  # no raw stdout banner in the app view
        notice = studio.offline_notice
        assert "phota-offline-notice" in notice._dom_classes
        assert "Offline" in notice.value and "stand-in" in notice.value
        assert "127.0.0.1" not in notice.value  # no loopback address for a user to puzzle over
        studio.session.use_key(KEY, server.base_url)  # what a login does
        assert eventually(lambda: studio.offline_notice.value == "")
        studio.login_box.offline_button.click()  # and back to the offline server
        assert eventually(lambda: "Offline" in studio.offline_notice.value)
    finally:
        studio.close()


def test_the_header_login_box_switches_to_a_key_and_back_offline(
    server: pw.LocalServer,
    tmp_path: Path,
    eventually: Callable[..., bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PHOTA_BASE_URL", server.base_url)  # the "real" API in this test
    with pw.LocalServer() as stand_in:
        session = pw.Session(output_dir=tmp_path / "s", local_server=stand_in)
        try:
            studio = Studio(session)
            box = studio.login_box
            assert box in studio.top.children and "phota-login" in box._dom_classes
            assert box.offline_button.layout.display == "none"  # already offline
            box.key.set_state({"value": KEY})  # typing in the browser
            box.submit_button.click()
            assert box.key.value == ""  # cleared at once, before the check
            assert box.checking is not None and box.checking.result(timeout=30) is True
            assert not session.is_local
            assert eventually(lambda: "Phota API" in studio.header.value)
            assert server.base_url in studio.header.value and "offline" not in studio.header.value
            assert box.offline_button.layout.display is None
            assert "phota-login-offline" in box.offline_button._dom_classes

            box.offline_button.click()
            assert session.is_local and session.local_server is not None
            assert eventually(lambda: "offline" in studio.header.value)
            assert box.offline_button.layout.display == "none"
            studio.generate.prompt.value = "a small red house"
            studio.generate.run_button.click()  # the new offline server answers
            assert studio.generate.wait(timeout=30) is not None, studio.generate.error.value
            assert not any(KEY in json.dumps(x.get_state(), default=str) for x in _all())
        finally:
            session.close()


def _all() -> list[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return list(ipywidgets.Widget.widgets.values())
