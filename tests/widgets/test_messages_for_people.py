"""One panel, one run; messages for people (issue 18.6), each driven as a user would.

After Cancel the previous grid is labelled "Earlier result"; the Experiments grid and status
follow the form and its totals never go backwards; the app names buttons, not code; profile
photo counts are a sentence; an internet link is refused offline before sending; "Copy code"
gives Python and cURL that make the same result again, with the key read from $PHOTA_API_KEY.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import phota_widgets as pw
from phota_widgets.session.lifecycle import INTERRUPTED
from phota_widgets.widgets.edit import EditPanel
from phota_widgets.widgets.generate import GeneratePanel
from phota_widgets.widgets.history import HistoryPanel
from phota_widgets.widgets.sweep import SweepPanel

KEY = "sk-planted-SECRET-1234567890"  # the widget tests' server key (conftest)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def offline(server: pw.LocalServer, tmp_path: Path) -> Iterator[Any]:
    """A session on the embedded server as the offline stand-in (``is_local``)."""
    with pw.Session(output_dir=tmp_path / "offline", local_server=server) as s:
        yield s


def test_after_cancel_the_previous_grid_is_labelled_earlier(slow_session: Any) -> None:
    panel = GeneratePanel(slow_session)
    panel.prompt.value = "a first lighthouse"
    panel.run_button.click()
    first = panel.wait(timeout=60)
    assert first is not None, panel.error.value
    assert panel.grid.earlier.value == ""
    panel.prompt.value = "a second lighthouse"
    panel.run_button.click()
    panel.cancel_button.click()  # the 2 s request is still out
    assert panel.wait(timeout=60) is None
    assert "Earlier result" in panel.grid.earlier.value
    assert first.run_id is not None and first.run_id in panel.grid.earlier.value
    assert "cancelled" in panel.grid.earlier.value
    panel.run_button.click()  # a run that ends shows its own grid, unlabelled
    assert panel.wait(timeout=60) is not None, panel.error.value
    assert panel.grid.earlier.value == ""


def test_the_experiments_grid_and_status_follow_the_form(
    session: Any, settle: Callable[..., None]
) -> None:
    panel = SweepPanel(session)
    panel.form.prompts.value = "a red house\na blue boat"
    settle()
    ended: list[int] = []
    panel.progress.observe(lambda c: ended.append(c["new"]), names="value")
    panel.run_button.click()
    result = panel.wait(timeout=60)
    assert result is not None, panel.error.value
    settle()
    assert ended == sorted(ended), ended  # the progress bar never went back
    assert panel.progress.value == 2 and panel.shown_note.value == ""
    grid = panel.grid.value
    assert grid

    panel.form.prompts.value = "a green tree"  # another sweep now
    settle()
    assert "Earlier result" in panel.shown_note.value and result.sweep_id in panel.shown_note.value
    assert "The form describes sweep" in panel.status.value and "not run yet" in panel.status.value
    assert "phota-sweep-shown-note" in panel.shown_note._dom_classes

    panel.form.prompts.value = "a red house\na blue boat"  # back to the sweep shown
    settle()
    assert panel.shown_note.value == ""

    panel.form.prompts.value = "a green tree"
    settle()
    panel.run_button.click()
    assert panel.wait(timeout=60) is not None, panel.error.value
    settle()
    assert panel.shown_note.value == "" and panel.grid.value != grid  # the new sweep's grid
    assert panel.totals.ended == 1 and panel.progress.value == 1


def test_the_totals_shown_never_go_back() -> None:
    from phota_widgets.widgets.sweep_parts import Totals

    totals = Totals()
    assert (totals.update("sw_a", 3, 6, 0.27).ended, totals.cost) == (3, 0.27)
    shown = totals.update("sw_a", 2, 6, 0.18)  # a reading behind the one shown
    assert (shown.ended, shown.total, shown.cost) == (3, 6, 0.27)
    assert totals.update("sw_b", 0, 2, 0.0).ended == 0  # another sweep starts from its own
    assert totals.update("sw_a", 4, 6, 0.36).ended == 4


def test_the_app_names_buttons_not_code(session: Any) -> None:
    store = session.store
    run_id = store.start_run("generate", {"prompt": "a kept kite"}, backend=session.backend_id)
    store.finish_run(run_id, status="failed", error=f"{INTERRUPTED} (connection lost)")
    panel = HistoryPanel(session)
    panel.refresh().result(timeout=20)
    text = panel.rows[0].info.value
    assert "session.resume()" not in text and "the Collect button" in text


def test_a_profile_photo_count_is_a_sentence(offline: Any) -> None:
    from phota_widgets.widgets.profiles import ProfilesPanel

    panel = ProfilesPanel(offline)
    panel.last_task.result(timeout=20)
    panel.create_button.click()  # nothing chosen, standard tier
    assert panel.last_task.result(timeout=20) is None
    error = panel.error.value
    assert "A standard profile is trained from 10 to 50 photos of one person" in error, error
    assert "Training_tier" not in error and "10..50" not in error


def test_an_internet_link_is_refused_offline_before_sending(offline: Any) -> None:
    panel = EditPanel(offline)
    picker = panel.inputs["images"]
    picker.url.value = "https://example.com/photos/cat.jpg"  # typed in the URL box
    picker.url_button.click()
    panel.prompt.value = "make it warmer"
    panel.run_button.click()
    assert panel.wait(timeout=30) is None
    assert "Not sent (nothing was spent)" in panel.error.value
    assert "has no internet" in panel.error.value and "example.com" in panel.error.value
    assert len(offline.store) == 0  # refused before anything was recorded or sent
    with pytest.raises(pw.InvalidRequestError, match="has no internet"):
        offline.edit("make it warmer", images=["https://example.com/cat.jpg"])


def test_copy_code_reproduces_the_result_without_the_key(
    session: Any, server: pw.LocalServer, tmp_path: Path, data: Path
) -> None:
    panel = EditPanel(session)
    panel.set_input((data / "chelsea.jpg").read_bytes()).result(timeout=20)
    panel.prompt.value = "make it warmer, $HOME and `backticks` stay text"
    panel.aspect_ratio.value = "1:1"
    panel.run_button.click()
    result = panel.wait(timeout=60)
    assert result is not None, panel.error.value
    copy = panel.grid.copy_code
    assert "phota-copy-code" in copy._dom_classes
    python, curl = copy.python, copy.curl
    for code in (python, curl):
        assert KEY not in code and "PHOTA_API_KEY" in code
    assert KEY not in json.dumps(copy.get_state(), default=str)
    copy._handle_custom_msg({"type": "copied", "kind": "curl", "clipboard": True}, [])
    assert copy.copies == ["curl"]  # what the browser says after a click

    env = {**os.environ, "PHOTA_API_KEY": KEY, "PHOTA_BASE_URL": server.base_url}
    env["PYTHONPATH"] = str(ROOT)
    script = python + "print(result.request['prompt']); print(result.request['aspect_ratio'])\n"
    ran = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == [panel.prompt.value, "1:1"]
    records = session.store.runs(endpoint="edit")
    assert len(records) == 2 and records[0].params == records[1].params  # the very same call

    sent = subprocess.run(
        ["bash", "-c", curl], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert sent.returncode == 0, sent.stderr
    answer = json.loads((tmp_path / "result.json").read_text())
    assert len(answer["images"]) == 1 and base64.b64decode(answer["images"][0])[:2] == b"\xff\xd8"
