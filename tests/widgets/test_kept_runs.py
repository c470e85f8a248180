"""Runs the server took but a panel could not finish: cancelled once accepted, or interrupted.

The panel says whether its own run was kept, offers Collect, and Collect shows that run's images
without a second job on the server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path
from typing import Any

import httpx
import pytest

import phota_widgets as pw
from phota_widgets.api.retry import RetryPolicy
from phota_widgets.session import lifecycle as session_module
from phota_widgets.widgets.generate import GeneratePanel

KEY = "sk-planted-SECRET-1234567890"
KEPT = "interrupted: the job is kept and collected without paying twice — don't run it again"


class Wire:
    """Watches a session's HTTP traffic: the job ids the server answered with (even in answers
    then dropped), and drops.

    While ``dropping``, every API answer is thrown away after the server handled the request,
    as a dropped connection does (the work was done, the answer never arrives).
    """

    def __init__(self, session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.dropping = False
        self.job_ids: set[str] = set()
        http = session.aclient.transport.http  # shared by every copy of the transport
        send = http.send

        async def watched(request: httpx.Request, **kwargs: Any) -> httpx.Response:
            response = await send(request, **kwargs)
            if response.headers.get("content-type", "").startswith("application/json"):
                body = json.loads(response.content or b"null")
                if isinstance(body, dict) and isinstance(body.get("job_id"), str):
                    self.job_ids.add(body["job_id"])
            if self.dropping:
                await response.aclose()
                raise httpx.ReadError("connection dropped (test)", request=request)
            return response

        monkeypatch.setattr(http, "send", watched)


@pytest.fixture
def own_server() -> Iterator[pw.LocalServer]:
    """A server for one test, so its jobs are this test's only."""
    with pw.LocalServer(api_key=KEY) as srv:
        yield srv


def _session(srv: pw.LocalServer, folder: Path) -> Any:
    return pw.Session(api_key=KEY, base_url=srv.base_url, output_dir=folder)


def _plant_pending_job(session: Any) -> str:
    """Another run kept on the server (e.g. another panel's): none of this panel's business."""
    other = session.store.start_run("edit", {"prompt": "elsewhere"}, backend=session.backend)
    session.store.record_job(other, "job_elsewhere", "key-elsewhere")
    return str(other)


def test_dropped_connections_keep_the_run_and_collect_shows_it_paid_once(
    own_server: pw.LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "COLLECT_DELAYS", (0.0,))
    session = _session(own_server, tmp_path)
    try:
        monkeypatch.setattr(session.aclient.transport, "retry", RetryPolicy(max_retries=0))
        wire = Wire(session, monkeypatch)
        panel = GeneratePanel(session)
        assert panel.prompt_box.profiles_loaded is not None
        panel.prompt_box.profiles_loaded.result(timeout=10)
        assert "phota-collect" in panel.collect_button._dom_classes
        assert panel.collect_button.layout.display == "none"

        wire.dropping = True
        panel.prompt.value = "a lighthouse in a storm"
        panel.run_button.click()
        assert panel.wait(timeout=30) is None
        assert escape(KEPT) in panel.status.value
        assert "connection" in panel.error.value.lower()
        assert panel.collect_button.layout.display is None
        assert not panel.collect_button.disabled
        (run,) = session.store.runs()
        assert run.status == "submitted" and run.job_id is None  # no answer arrived
        assert len(wire.job_ids) == 1  # two submits with one key: one job on the server

        wire.dropping = False
        result = panel.collect().result(timeout=30)  # what the Collect button does
        assert result is not None and result.run_id == run.run_id
        assert panel.grid.result is not None and panel.grid.result.run_id == run.run_id
        assert len(panel.grid.thumbs) == 1 and panel.result is result
        assert f"collected run {run.run_id}" in panel.status.value
        assert panel.collect_button.layout.display == "none"
        assert session.store.get(run.run_id).status == "succeeded"
        assert len(session.store) == 1
        assert len(wire.job_ids) == 1  # the resubmit with the same key found the same job
        assert own_server.state.jobs.get(wire.job_ids.pop()) is not None
    finally:
        session.close()


def test_cancel_after_submit_keeps_the_paid_job_and_collect_fetches_it(
    tmp_path: Path, eventually: Callable[..., bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pw.LocalServer(api_key=KEY, queue_delay=1.0) as srv:
        session = _session(srv, tmp_path)
        try:
            wire = Wire(session, monkeypatch)
            panel = GeneratePanel(session)
            panel.prompt.value = "a queued sunrise"
            panel.run_button.click()
            accepted = lambda: any(r.job_id for r in session.store.pending_jobs())  # noqa: E731
            assert eventually(accepted)  # the server took the job: it is paid for, waiting
            panel.cancel_button.click()
            assert panel.wait(timeout=5) is None
            assert "already submitted" in panel.status.value
            assert "Collect gets it" in panel.status.value  # the button, not code
            assert "session.resume()" not in panel.status.value
            assert panel.collect_button.layout.display is None

            result = panel.collect().result(timeout=30)
            assert result is not None and len(result.images) == 1
            assert session.store.get(result.run_id or "").status == "succeeded"
            assert panel.grid.result is not None and panel.grid.result.run_id == result.run_id
            assert "collected" in panel.status.value
            assert len(wire.job_ids) == 1
        finally:
            session.close()


def test_a_cancel_given_up_on_its_submit_still_keeps_the_job_when_it_lands(
    slow_session: Any, eventually: Callable[..., bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the request is on the wire, no cancel ends the run "cancelled" (issue 16.1): even
    when the cancel stops waiting for the submit, the answer is recorded whenever it lands."""
    monkeypatch.setattr(session_module, "SUBMIT_GRACE", 0.05)  # the cancel stops waiting at once
    _plant_pending_job(slow_session)
    panel = GeneratePanel(slow_session)
    panel.prompt.value = "a slow sunrise"
    panel.run_button.click()
    task = panel.task
    assert task is not None and panel.running
    sending = lambda: any(  # noqa: E731
        r.status == "submitted" for r in slow_session.store.runs() if r.endpoint == "generate"
    )
    assert eventually(sending)  # the key is recorded: the submit is on its way (2 s)

    panel.cancel_button.click()

    assert panel.wait(timeout=5) is None
    assert task.cancelled()
    assert not panel.run_button.disabled and panel.cancel_button.disabled
    run = next(r for r in slow_session.store.runs() if r.endpoint == "generate")
    assert eventually(lambda: slow_session.store.get(run.run_id).job_id is not None)
    record = slow_session.store.get(run.run_id)
    assert record.status == "submitted" and record.client_request_id == run.client_request_id
    assert eventually(lambda: "already submitted" in panel.status.value)
    assert panel.collect_button.layout.display is None
    result = panel.collect().result(timeout=30)  # this panel's run, not the planted one
    assert result is not None and result.run_id == run.run_id


def test_a_cancel_while_the_submit_is_in_flight_learns_the_job_was_kept(
    slow_session: Any, eventually: Callable[..., bool]
) -> None:
    panel = GeneratePanel(slow_session)
    panel.prompt.value = "a slow sunset"
    panel.run_button.click()
    submitted = lambda: [r.status for r in slow_session.store.runs()] == ["submitted"]  # noqa: E731
    assert eventually(submitted)  # the submit is on its way (it takes 2 s)

    panel.cancel_button.click()

    assert panel.wait(timeout=5) is None
    assert "checking whether the server already took the job" in panel.status.value
    assert eventually(lambda: "already submitted" in panel.status.value, timeout=15)
    (run,) = slow_session.store.runs()
    assert run.status == "submitted" and run.job_id is not None
    assert panel.collect_button.layout.display is None and not panel.collect_button.disabled
