"""Runs belong to the process and the server that accepted them (issue 7, defects 1 and 2)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import phota_widgets as pw
from phota_widgets.local import Faults, LocalServer
from phota_widgets.session.lifecycle import SENT_SYNC
from phota_widgets.session.recovery import LOST_SYNC, NEVER_SENT, SERVER_GONE

KEY = "k-ownership"
DEAD_OWNER = "some-host:999999:deadbeef0000"


def _wait_for(condition: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_runs_queued_by_a_dead_process_are_cancelled_not_left_running(tmp_path: Path) -> None:
    with LocalServer(api_key=KEY) as server:
        with pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path) as first:
            backend = first.backend_id
        store = pw.RunStore(tmp_path)
        queued = [
            store.start_run(
                "generate",
                {"prompt": f"q{i}"},
                backend=backend,
                client_request_id=f"key{i}",
                owner=DEAD_OWNER,
            )
            for i in range(3)
        ]
        sync_run = store.start_run("generate", {"prompt": "s"}, backend=backend, owner=DEAD_OWNER)
        store.set_note(sync_run, SENT_SYNC)
        store.close()
        with pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path) as again:
            for run_id in queued:
                record = again.store.get(run_id)
                assert record.status == "cancelled" and record.error == NEVER_SENT
            assert again.store.get(sync_run).status == "failed"
            assert again.store.get(sync_run).error == LOST_SYNC
            assert not again.store.runs(status="running")
        assert len(server.state.jobs._jobs) == 0  # nothing was sent on their behalf


def test_a_run_told_of_is_not_marked_sent_before_the_callback_has_it(tmp_path: Path) -> None:
    """A sweep links its cell (and a claim its run) when the run is recorded. Were the run
    already "submitted" then, a process stopping before the link lands would leave a run that a
    resume sends (its key was never sent) and a cell that the next sweep runs again: paid twice.
    So it stays "running" (never sent: cancelled if the process stops) until the link is in."""
    with (
        LocalServer(api_key=KEY) as server,
        pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path) as s,
    ):
        told: list[str] = []
        s.submit_run(
            "generate",
            prompt="a lighthouse",
            on_recorded=lambda r: told.append(s.store.get(r).status),
        ).result(timeout=120)
        assert told == ["running"]
        alone = s.generate("a lighthouse, nobody told")  # no one to tell: one write fewer
        assert alone.run_id is not None and s.store.get(alone.run_id).status == "succeeded"


def test_a_live_process_keeps_its_runs_and_a_second_one_leaves_them_alone(tmp_path: Path) -> None:
    with LocalServer(api_key=KEY, queue_delay=1.5) as server:
        with pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path) as first:
            future = first.submit_run("generate", prompt="mine")
            _wait_for(lambda: any(r.job_id for r in first.store.runs()), "the job id")
            with pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path) as other:
                assert other.resuming is None
                assert other.resume() == []  # a live process's run is not collected twice
                assert other.settle_orphans() == 0
                result = future.result(timeout=60)
            (record,) = first.store.runs()
            assert record.status == "succeeded" and record.run_id == result.run_id
        assert len(server.state.jobs._jobs) == 1


def test_each_embedded_server_has_its_own_identity_and_dead_servers_runs_end(
    tmp_path: Path,
) -> None:
    with pw.Session(output_dir=tmp_path) as first:
        backend = first.backend_id
        assert backend.startswith("local:") and first.backend == "local"
        run_id = first.store.start_run("generate", {"prompt": "x"}, backend=backend)
        first.store.record_job(run_id, "job_on_the_old_server", "crid")
    with pw.Session(output_dir=tmp_path) as second:
        assert second.backend_id != backend
        record = second.store.get(run_id)
        assert record.status == "failed" and record.error == SERVER_GONE


def test_an_error_after_transient_faults_says_resume_will_collect_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("phota_widgets.session.lifecycle.COLLECT_DELAYS", (0.01, 0.01))
    with (
        LocalServer(api_key=KEY, faults=Faults(rate_503=1.0, retry_after=0.0)) as down,
        pw.Session(api_key=KEY, base_url=down.base_url, output_dir=tmp_path) as s,
    ):
        with pytest.raises(pw.ServerError, match=r"session\.resume\(\) collects it"):
            s.generate("x")
        (record,) = s.store.runs()
        assert record.status == "submitted" and record.client_request_id
