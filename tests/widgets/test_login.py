"""LoginBox: the key is read once, cleared at once, and never shown or kept in widget state."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ipywidgets
import pytest

import phota_widgets as pw
from phota_widgets.widgets.login import LoginBox

KEY = "sk-planted-SECRET-1234567890"
NEW_KEY = "sk-typed-SECRET-0987654321"


@pytest.fixture
def session(server: pw.LocalServer, tmp_path: Path) -> Iterator[Any]:
    """A session on the embedded server (``backend == "local"``)."""
    s = pw.Session(output_dir=tmp_path, local_server=server)
    yield s
    s.close()


def all_states() -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Widget.widgets: still the registry
        widgets = list(ipywidgets.Widget.widgets.values())
    return [json.dumps(widget.get_state(), default=str) for widget in widgets]


def test_key_is_used_and_cleared(session: Any, server: pw.LocalServer) -> None:
    url = server.base_url
    box = LoginBox(session, base_url=url)
    assert session.backend == "local" and "local stand-in" in box.message.value
    box.key.set_state({"value": KEY})  # what typing in the browser does (the server's key)
    assert any(KEY in state for state in all_states())  # the check below can see it
    box.submit_button.click()
    assert box.key.value == ""  # cleared at once, before the check
    assert box.checking is not None and box.checking.result(timeout=30) is True
    assert session.backend == url and not session.is_local
    assert f"Using the Phota API at <code>{url}</code>" in box.message.value
    assert box.error.value == ""
    states = all_states()
    assert not any(KEY in state for state in states)
    assert KEY not in repr(box) and KEY not in repr(session)
    assert "phota-login-key" in box.key._dom_classes
    assert "phota-login-submit" in box.submit_button._dom_classes
    box.close()


def test_empty_key_changes_nothing(session: Any) -> None:
    box = LoginBox(session)
    box.key.value = "   "
    box.submit_button.click()
    assert "empty" in box.error.value
    assert session.backend == "local" and session.is_local
    assert box.key.value == ""
    box.close()


def test_an_error_never_shows_the_key(session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(key: str, base_url: str | None = None) -> None:
        raise ValueError(f"the key {key} is not accepted here")

    monkeypatch.setattr(session, "use_key", refuse)
    box = LoginBox(session)
    box.key.value = NEW_KEY
    assert box.submit().result(timeout=30) is False
    assert box.error.value and NEW_KEY not in box.error.value
    assert "ValueError" in box.error.value
    assert box.key.value == "" and session.backend == "local"
    box.close()


def test_pw_login_returns_a_login_box(session: Any) -> None:
    box = pw.login(session)
    assert isinstance(box, LoginBox)
    box.close()


def test_the_key_check_never_blocks_the_kernel(
    session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    release = threading.Event()

    def slow_check(key: str, base_url: str | None = None) -> None:
        release.wait(30)  # an API that takes its time to answer (or never)
        raise pw.NoNetworkError("no network: the API could not be reached")

    monkeypatch.setattr(session, "use_key", slow_check)
    box = LoginBox(session)
    box.key.value = NEW_KEY
    box.submit_button.click()  # returns while the check is still waiting
    assert box.checking is not None and not box.checking.done()
    assert box.submit_button.disabled and "Checking the key" in box.message.value
    release.set()
    assert box.checking.result(timeout=30) is False
    assert "No network" in box.error.value and not box.submit_button.disabled
    box.close()
