"""HistoryPanel: rows newest first, filters, open, re-run and paging over a real run store.

The panel writes its widgets on the UI thread: a test waits (``settle()`` or a returned future)
before reading them.
"""

from __future__ import annotations

import base64
import io
import json
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ipywidgets
import pytest
from PIL import Image

import phota_widgets as pw
from phota_widgets.widgets import history as history_module
from phota_widgets.widgets.history import HistoryPanel

KEY = "sk-planted-SECRET-1234567890"
DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="module")
def session(server: pw.LocalServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    s = pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path_factory.mktemp("h"))
    s.generate_result = s.run("generate", prompt="a red bicycle by the sea", output_format="jpg")
    s.edit_result = s.run(
        "edit",
        prompt="make it Warmer",
        images=[DATA / "coffee.jpg"],
        num_output_images=2,
        output_format="jpg",
    )
    yield s
    s.close()


def run_ids(panel: HistoryPanel) -> list[str]:
    return [row.run_id for row in panel.rows]


def listed(panel: HistoryPanel) -> HistoryPanel:
    """The panel once its first listing is shown."""
    panel.refresh().result(timeout=20)
    return panel


def test_rows_newest_first_with_thumbnails(session: Any) -> None:
    panel = HistoryPanel(session)
    panel.refresh().result(timeout=20)
    edit_id, gen_id = session.edit_result.run_id, session.generate_result.run_id
    assert run_ids(panel)[:2] == [edit_id, gen_id]
    edit_row = panel.rows[0]
    assert len(edit_row.thumbs) == 2
    for thumb in edit_row.thumbs:
        img = Image.open(io.BytesIO(thumb.value))
        assert img.format == "JPEG" and max(img.size) <= 96
    assert "edit" in edit_row.info.value and "make it Warmer" in edit_row.info.value
    assert "succeeded" in edit_row.info.value and "$0.18" in edit_row.info.value
    assert "phota-history-open" in edit_row.open_button._dom_classes
    assert "phota-history-rerun" in edit_row.rerun_button._dom_classes
    panel.close()


def test_filters_narrow(session: Any, settle: Callable[[], None]) -> None:
    panel = HistoryPanel(session)
    edit_id, gen_id = session.edit_result.run_id, session.generate_result.run_id
    panel.endpoint_filter.value = "generate"
    settle()
    assert gen_id in run_ids(panel) and edit_id not in run_ids(panel)
    assert all(row.record.endpoint == "generate" for row in panel.rows)
    panel.endpoint_filter.value = "all"
    panel.prompt_filter.value = "warmer"  # case-insensitive substring
    settle()
    assert run_ids(panel) == [edit_id]
    panel.prompt_filter.value = "no such prompt"
    settle()
    assert run_ids(panel) == []
    assert "no runs" in panel.count.value
    panel.prompt_filter.value = ""
    panel.since.value = date.today() + timedelta(days=1)
    settle()
    assert run_ids(panel) == []
    panel.since.value = date.today()
    settle()
    assert {edit_id, gen_id} <= set(run_ids(panel))
    panel.close()


def test_open_hands_back_the_stored_result(session: Any) -> None:
    opened: list[pw.Result] = []
    panel = listed(HistoryPanel(session, on_open=opened.append))
    row = next(r for r in panel.rows if r.run_id == session.edit_result.run_id)
    row.open_button.click()
    assert panel.last_task is not None
    assert panel.last_task.result(timeout=20) is not None
    assert len(opened) == 1
    result = opened[0]
    assert result.endpoint == "edit" and result.run_id == row.run_id
    stored = session.store.get(row.run_id).outputs
    assert [img.data for img in result.images] == [o.path.read_bytes() for o in stored]
    assert [img.data for img in result.images] == [img.data for img in session.edit_result.images]
    panel.close()


def test_open_without_callback_shows_thumbnails_in_output(session: Any) -> None:
    panel = listed(HistoryPanel(session))
    row = next(r for r in panel.rows if r.run_id == session.edit_result.run_id)
    row.open_button.click()
    assert panel.last_task is not None
    panel.last_task.result(timeout=20)
    (shown,) = panel.output.outputs
    html = shown["data"]["text/html"]
    payloads = re.findall(r"data:image/jpeg;base64,([A-Za-z0-9+/=]+)", html)
    assert len(payloads) == 2
    for payload in payloads:
        assert max(Image.open(io.BytesIO(base64.b64decode(payload))).size) <= 512
    assert "make it Warmer" in html
    panel.close()


def test_rerun_callback_gets_params_with_input_bytes(session: Any) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    panel = listed(
        HistoryPanel(session, on_rerun=lambda endpoint, params: calls.append((endpoint, params)))
    )
    before = len(session.store)
    row = next(r for r in panel.rows if r.run_id == session.edit_result.run_id)
    row.rerun_button.click()
    ((endpoint, params),) = calls
    assert endpoint == "edit"
    assert params["prompt"] == "make it Warmer" and params["num_output_images"] == 2
    assert params["images"] == [(DATA / "coffee.jpg").read_bytes()]
    assert len(session.store) == before  # the callback decides; nothing ran here
    panel.close()


def test_rerun_without_callback_runs_and_refreshes(session: Any) -> None:
    panel = listed(HistoryPanel(session))
    before = len(session.store)
    row = next(r for r in panel.rows if r.run_id == session.generate_result.run_id)
    row.rerun_button.click()
    assert panel.last_task is not None
    new = panel.last_task.result(timeout=30)
    assert isinstance(new, pw.Result) and new.run_id not in (None, row.run_id)
    assert len(session.store) == before + 1
    assert panel.rows[0].run_id == new.run_id  # refreshed, newest first
    assert session.store.get(new.run_id).params["prompt"] == "a red bicycle by the sea"
    assert "re-run done" in panel.status.value
    panel.close()


def test_paging(session: Any, monkeypatch: pytest.MonkeyPatch, settle: Callable[[], None]) -> None:
    monkeypatch.setattr(history_module, "PAGE_SIZE", 1)
    panel = listed(HistoryPanel(session))
    total = len(session.store)
    assert total >= 2 and len(panel.rows) == 1
    first = panel.rows[0].run_id
    assert panel.prev_button.disabled and not panel.next_button.disabled
    assert f"runs 1–1 of {total}" in panel.count.value
    panel.next_button.click()
    settle()
    assert len(panel.rows) == 1 and panel.rows[0].run_id != first
    assert not panel.prev_button.disabled
    panel.prev_button.click()
    settle()
    assert panel.rows[0].run_id == first
    panel.close()


def test_at_most_one_page_of_rows(session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert history_module.PAGE_SIZE == 50
    for number in range(3 - len(session.store)):  # its own runs, whichever tests ran before
        run_id = session.store.start_run("generate", {"prompt": f"page filler {number}"})
        session.store.finish_run(run_id, status="succeeded", cost=0.09)
    monkeypatch.setattr(history_module, "PAGE_SIZE", 2)
    panel = listed(HistoryPanel(session))
    assert len(panel.rows) == 2 < len(session.store)
    panel.close()


def test_no_widget_holds_the_key(session: Any) -> None:
    panel = HistoryPanel(session)
    panel.refresh().result(timeout=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Widget.widgets: still the registry
        widgets = list(ipywidgets.Widget.widgets.values())
    assert panel.rows[0] in widgets
    for widget in widgets:
        assert KEY not in json.dumps(widget.get_state(), default=str)
    assert KEY not in repr(panel) and KEY not in repr(session)
    panel.close()


@pytest.fixture
def many_runs(server: pw.LocalServer, tmp_path: Path) -> Iterator[Any]:
    """A session whose store holds 61 finished runs (recorded directly: no HTTP)."""
    with pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path) as s:
        for number in range(61):
            run_id = s.store.start_run("generate", {"prompt": f"run number {number}"})
            s.store.finish_run(run_id, status="succeeded", cost=0.09)
        yield s


def test_pages_load_one_page_of_runs(many_runs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store = many_runs.store
    calls: list[dict[str, Any]] = []
    runs = store.runs

    def recording(**filters: Any) -> Any:
        calls.append(filters)
        return runs(**filters)

    monkeypatch.setattr(store, "runs", recording)
    panel = listed(HistoryPanel(many_runs))
    newest = [f"run number {n}" for n in range(60, -1, -1)]
    assert [row.record.prompt for row in panel.rows] == newest[:50]
    assert "runs 1–50 of 61" in panel.count.value and not panel.next_button.disabled

    panel.next_button.click()
    panel.refresh().result(timeout=20)  # queued after the click: the page it turned to
    assert [row.record.prompt for row in panel.rows] == newest[50:]
    assert "runs 51–61 of 61" in panel.count.value
    assert panel.next_button.disabled and not panel.prev_button.disabled

    panel.prompt_filter.value = "number 1"  # 1, 10..19: one page again
    panel.refresh().result(timeout=20)
    assert len(panel.rows) == 11 and panel.page == 0 and "of 11" in panel.count.value
    assert calls and all(c.get("limit") == history_module.PAGE_SIZE for c in calls)
    assert max(c.get("offset", 0) for c in calls) == 50
    panel.close()


def test_widgets_have_one_writer_and_images_are_read_off_the_kernel(
    session: Any, writers: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    readers: list[str] = []
    result = session.result

    def reading(run_id: str) -> pw.Result:
        readers.append(threading.current_thread().name)
        return result(run_id)

    monkeypatch.setattr(session, "result", reading)
    opened: list[pw.Result] = []
    panel = HistoryPanel(session, on_open=opened.append)
    seen = writers(panel.status, panel.error, panel.table, panel.count, panel.prev_button,
                   panel.next_button, panel.output)  # fmt: skip
    panel.refresh().result(timeout=20)
    panel.prompt_filter.value = "warmer"
    panel.refresh().result(timeout=20)
    panel.rows[0].open_button.click()
    assert panel.last_task is not None and panel.last_task.result(timeout=20) is not None
    panel.open_run("no-such-run").result(timeout=20)  # shows an error
    assert "no-such-run" in panel.error.value and len(opened) == 1

    assert readers and threading.main_thread().name not in readers
    assert seen.single().startswith("phota-widgets-ui")
    panel.close()


def test_open_failures_are_shown_not_lost(session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def cannot_draw(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("cannot draw this view")

    monkeypatch.setattr(history_module.display, "show", cannot_draw)
    panel = listed(HistoryPanel(session))
    run_id = session.edit_result.run_id
    assert panel.open_run(run_id).result(timeout=20) is None
    assert "cannot draw this view" in panel.error.value
    assert f"could not open run {run_id}" in panel.status.value

    def refusing(result: pw.Result) -> None:
        raise ValueError(f"no panel for {result.endpoint}")

    hand_over = listed(HistoryPanel(session, on_open=refusing))
    assert hand_over.open_run(run_id).result(timeout=20) is None
    assert "no panel for edit" in hand_over.error.value
    assert "could not open" in hand_over.status.value
    panel.close()
    hand_over.close()


def test_refused_rerun_is_said_in_the_status(session: Any, settle: Callable[[], None]) -> None:
    def busy(endpoint: str, params: dict[str, Any]) -> None:
        raise RuntimeError(f"{endpoint} is running: cancel it or wait, then re-run")

    panel = listed(HistoryPanel(session, on_rerun=busy))
    panel.rerun(session.generate_result.run_id)
    settle()
    assert "not re-run: generate is running" in panel.status.value
    panel.close()


def test_a_kept_run_has_a_collect_button_that_fetches_it(session: Any) -> None:
    key = "history-collect-" + session.generate_result.run_id
    job = session.client.submit("generate", prompt="a kept kite", client_request_id=key)
    store = session.store
    run_id = store.start_run("generate", {"prompt": "a kept kite"}, backend=session.backend)
    store.record_submission(run_id, key)
    store.record_job(run_id, job.job_id, key)  # as a dropped connection or a cancel leaves it

    panel = listed(HistoryPanel(session))
    row = next(r for r in panel.rows if r.run_id == run_id)
    assert row.collect_button is not None
    assert "phota-history-collect" in row.collect_button._dom_classes
    assert all(r.collect_button is None for r in panel.rows if r.record.status != "submitted")
    row.collect_button.click()
    assert panel.last_task is not None
    result = panel.last_task.result(timeout=30)
    assert isinstance(result, pw.Result) and result.run_id == run_id
    assert f"collected run {run_id}" in panel.status.value
    assert store.get(run_id).status == "succeeded"
    row = next(r for r in panel.rows if r.run_id == run_id)  # listed again
    assert row.collect_button is None and "succeeded" in row.info.value
    panel.close()
