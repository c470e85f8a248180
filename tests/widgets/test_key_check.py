"""The Studio's header checks a key as it is entered, and a switch refreshes what the old backend
owned: profile lists, pickers, the demo-profile button, History's backend filter.

Driven like a user: type in the key box (``set_state``, the browser's path), then Enter (the
``submit`` event the browser sends) or a click on "Use key"; against the embedded server (right
key, wrong key) and a closed port (no network).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import phota_widgets as pw
from phota_widgets.local import TrainingDurations
from phota_widgets.samples import sample
from phota_widgets.session.key_check import KeyRefusedError, NoNetworkError
from phota_widgets.widgets.studio import Studio

KEY = "sk-planted-SECRET-1234567890"
WRONG = "sk-wrong-SECRET-0000000000"


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[pw.LocalServer, str]]:
    """The "real" API (an embedded server with KEY) holding one READY profile of its own."""
    with pw.LocalServer(api_key=KEY, training=TrainingDurations(0.0, 0.0, 0.0)) as srv:
        client = pw.PhotaClient(api_key=KEY, base_url=srv.base_url)
        # the server takes inline images only from a client that says so (like the Studio offline)
        client.aclient.inline_training_images = True
        portrait = sample("astronaut")
        profile_id = client.profiles.add([portrait] * 5, "fast", "account")
        client.profiles.wait_ready(profile_id, poll_interval=0.05, timeout=30)
        client.close()
        yield srv, profile_id


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    """A Studio on an offline stand-in server of its own (as with no key)."""
    with pw.LocalServer() as stand_in:
        session = pw.Session(output_dir=tmp_path / "s", local_server=stand_in)
        studio = Studio(session)
        try:
            yield studio
        finally:
            studio.close()
            session.close()


def _type_key(studio: Studio, key: str) -> None:
    studio.login_box.key.set_state({"value": key})  # typing in the browser


def _press_enter(studio: Studio) -> None:
    studio.login_box.key._handle_custom_msg({"event": "submit"}, [])  # what Enter sends


def _shown(widget: Any) -> list[Any]:
    found = [widget]
    for child in getattr(widget, "children", ()):
        found += _shown(child)
    return found


def test_a_right_key_switches_and_every_list_follows(
    api: tuple[pw.LocalServer, str],
    studio: Studio,
    monkeypatch: pytest.MonkeyPatch,
    eventually: Callable[..., bool],
) -> None:
    server, profile_id = api
    monkeypatch.setenv("PHOTA_BASE_URL", server.base_url)
    session = studio.session
    history = studio.history
    assert studio.generate.prompt_box.profiles_loaded is not None
    studio.generate.prompt_box.profiles_loaded.result(timeout=20)
    assert profile_id not in [v for _, v in studio.generate.profile_picker.options]
    assert studio.profiles.demo_button in _shown(studio.profiles)  # offline: demo offered
    assert "offline stand-in" in history.backend_filter.options[1][0]
    history.backend_filter.value = "current"

    _type_key(studio, KEY)
    _press_enter(studio)
    assert studio.login_box.key.value == ""  # cleared at once; the check runs off the kernel
    checking = studio.login_box.checking
    assert checking is not None and checking.result(timeout=30) is True

    assert not session.is_local and session.backend == server.base_url
    assert studio.login_box.key.value == "" and studio.login_box.error.value == ""
    assert eventually(lambda: "Phota API" in studio.header.value, timeout=20)

    def picked(name: str) -> bool:
        return profile_id in [v for _, v in studio.panels[name].profile_picker.options]

    # no Refresh clicked: the pickers show the new account's profiles
    assert eventually(lambda: picked("generate") and picked("edit") and picked("remix"), 20)
    assert eventually(lambda: profile_id in studio.profiles.rows, timeout=20)
    assert eventually(lambda: studio.profiles.demo_button not in _shown(studio.profiles), 20)
    host = server.base_url.split("//", 1)[1].split("/", 1)[0]
    assert eventually(lambda: host in history.backend_filter.options[1][0], timeout=20)
    assert history.backend_filter.value == "current"  # the choice is kept, its meaning follows
    assert history.backend_filter.query() == server.base_url


def test_a_wrong_key_is_refused_in_the_header_at_once(
    api: tuple[pw.LocalServer, str],
    studio: Studio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, _ = api
    monkeypatch.setenv("PHOTA_BASE_URL", server.base_url)
    box = studio.login_box
    _type_key(studio, WRONG)
    box.submit_button.click()
    assert box.key.value == ""
    assert box.checking is not None and box.checking.result(timeout=30) is False
    assert "Key refused" in box.error.value and "refused this API key" in box.error.value
    assert "HTTP 401" in box.error.value
    assert WRONG not in box.error.value
    assert box.error in _shown(studio.top)  # said in the header
    assert studio.session.is_local and "offline" in studio.header.value  # nothing switched
    studio.generate.prompt.value = "a small red house"
    studio.generate.run_button.click()  # the offline server still answers
    assert studio.generate.wait(timeout=30) is not None, studio.generate.error.value


def test_a_closed_port_is_said_to_be_no_network(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("PHOTA_BASE_URL", f"http://127.0.0.1:{port}/v1/phota")
    box = studio.login_box
    _type_key(studio, KEY)
    _press_enter(studio)
    assert box.checking is not None and box.checking.result(timeout=30) is False
    assert "No network" in box.error.value and "could not be reached" in box.error.value
    assert "refused" not in box.error.value  # a network failure is not called a bad key
    assert KEY not in box.error.value
    assert studio.session.is_local and box.key.value == ""


def test_switching_back_offline_refreshes_the_lists(
    api: tuple[pw.LocalServer, str],
    studio: Studio,
    monkeypatch: pytest.MonkeyPatch,
    eventually: Callable[..., bool],
) -> None:
    server, profile_id = api
    monkeypatch.setenv("PHOTA_BASE_URL", server.base_url)
    _type_key(studio, KEY)
    studio.login_box.submit_button.click()
    picker = studio.generate.profile_picker
    assert eventually(lambda: profile_id in [v for _, v in picker.options], timeout=20)
    studio.login_box.offline_button.click()
    assert studio.session.is_local
    assert eventually(lambda: profile_id not in [v for _, v in picker.options], timeout=20)
    assert eventually(lambda: studio.profiles.demo_button in _shown(studio.profiles), 20)
    assert eventually(lambda: "offline stand-in" in studio.history.backend_filter.options[1][0])


def test_use_key_from_code_checks_the_key(api: tuple[pw.LocalServer, str], tmp_path: Path) -> None:
    server, profile_id = api
    with (
        pw.LocalServer() as stand_in,
        pw.Session(output_dir=tmp_path / "c", local_server=stand_in) as s,
    ):
        with pytest.raises(KeyRefusedError, match="refused this API key") as refused:
            s.use_key(WRONG, server.base_url)
        assert isinstance(refused.value, pw.AuthenticationError)
        assert WRONG not in str(refused.value) and WRONG not in repr(refused.value)
        assert s.is_local
        with pytest.raises(NoNetworkError, match="no network"):
            s.use_key(KEY, "http://127.0.0.1:9/v1/phota")  # discard port: closed
        assert s.is_local
        s.use_key(KEY, server.base_url)
        assert not s.is_local
        assert profile_id in [p.profile_id for p in s.profiles()]
