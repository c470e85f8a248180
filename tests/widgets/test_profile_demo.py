"""Profiles offline from the samples: a one-click demo profile, and every list follows READY."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import phota_widgets as pw
from phota_widgets.api.models import ProfileStatus
from phota_widgets.local.profiles import TrainingDurations
from phota_widgets.widgets.studio import Studio

KEY = "sk-planted-SECRET-1234567890"


@pytest.fixture(scope="module")
def server() -> Iterator[pw.LocalServer]:
    srv = pw.LocalServer(api_key=KEY, training=TrainingDurations(0.2, 0.2, 0.4))
    yield srv.start()
    srv.stop()


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.05)
    return check()


def _texts(widget: Any) -> str:
    parts = [str(getattr(widget, "value", "")) if hasattr(widget, "value") else ""]
    parts += [_texts(child) for child in getattr(widget, "children", ())]
    return " ".join(parts)


def test_demo_profile_trains_and_every_panel_lists_it(
    server: pw.LocalServer, tmp_path: Path
) -> None:
    session = pw.Session(output_dir=tmp_path / "s", local_server=server)
    try:
        studio = Studio(session)
        panel = studio.profiles
        panel.poll_interval = 0.1
        assert "phota-profile-demo" in panel.demo_button._dom_classes
        assert panel.demo_button in [c for box in panel.children for c in _walk(box)]
        assert "one and the same person" in _texts(panel)
        studio.generate.prompt_box.profiles_loaded.result(timeout=10)
        panel.demo_button.click()
        profile_id = panel.last_task.result(timeout=20)
        assert profile_id, panel.error.value
        assert eventually(lambda: panel.rows[profile_id].state is ProfileStatus.READY)

        def listed(panel_name: str) -> bool:  # listed as ready: no "· training" suffix
            options = studio.panels[panel_name].profile_picker.options
            return (f"demo ({profile_id})", profile_id) in options

        # no Refresh clicked anywhere: the pickers follow the READY profile by themselves
        assert eventually(lambda: listed("generate") and listed("edit") and listed("remix"))
    finally:
        session.close()


def test_with_a_key_the_demo_is_not_offered_and_the_rule_is_plain(
    server: pw.LocalServer, tmp_path: Path
) -> None:
    server.start()
    session = pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path / "r")
    try:
        studio = Studio(session)
        panel = studio.profiles
        shown = [c for box in panel.children for c in _walk(box)]
        assert panel.demo_button not in shown
        text = _texts(panel)
        assert "one and the same person" in text and "fast: 5–10" in text
        assert "standard: 10–50" in text
        assert panel.create_demo().result(timeout=10) is None  # refused, said in the box
        assert "offline stand-in" in panel.error.value
    finally:
        session.close()


def _walk(widget: Any) -> list[Any]:
    found = [widget]
    for child in getattr(widget, "children", ()):
        found += _walk(child)
    return found
