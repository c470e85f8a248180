"""Session: backends, recording as it happens, resume after a lost kernel, history, secrets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import phota_widgets as pw
from phota_widgets.local import LocalServer

PLANTED_KEY = "sk-planted-SECRET-1234567890"


@pytest.fixture
def session(server: LocalServer, tmp_path: Path) -> Iterator[pw.Session]:
    with pw.Session(api_key=PLANTED_KEY, base_url=server.base_url, output_dir=tmp_path) as s:
        yield s


def test_no_key_starts_the_local_server_and_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PHOTA_API_KEY", raising=False)
    with pw.Session(output_dir=tmp_path) as s:
        out = capsys.readouterr().out
        assert out.count("\n") == 1 and "embedded local stand-in server" in out
        assert s.is_local and s.backend == "local"
        result = s.generate("a green field", num_output_images=2)
        assert len(result.images) == 2
        assert capsys.readouterr().out == ""
        server = s.local_server
    assert server is not None and not server.running  # the session started it, so it stops it


def test_a_run_is_recorded_with_params_outputs_and_cost(
    session: pw.Session, data_dir: Path
) -> None:
    photo = data_dir / "chelsea.jpg"
    result = session.edit("make it warmer", [photo], num_output_images=2)
    record = session.store.get(result.run_id or "")
    assert record.status == "succeeded" and record.endpoint == "edit"
    assert record.params["prompt"] == "make it warmer" and record.params["num_output_images"] == 2
    assert record.params["images"][0].startswith("sha256:")
    assert session.input_image(record.params["images"][0]) == photo.read_bytes()
    assert [o.path.read_bytes() for o in record.outputs] == [i.data for i in result.images]
    assert record.job_id and record.cost == pytest.approx(0.18)
    assert session.spent == pytest.approx(0.18)


def test_invalid_request_is_refused_before_anything_is_recorded(session: pw.Session) -> None:
    with pytest.raises(pw.InvalidRequestError, match="prompt"):
        session.generate("")
    with pytest.raises(pw.InvalidRequestError, match="reve"):
        session.generate("x", base_model="reve", resolution="4K")
    assert len(session.store) == 0


def test_server_errors_are_recorded_as_failed(session: pw.Session, data_dir: Path) -> None:
    with pytest.raises(pw.InvalidRequestError, match="not a readable image"):
        session.enhance(b"\xff")
    assert len(session.store) == 0  # the unreadable image never left the machine
    with pytest.raises(pw.NotFoundError) as info:
        session.enhance(data_dir / "coffee.jpg", profile_ids=["ghost"])
    (record,) = session.store.runs()
    assert record.status == "failed" and "ghost" in (record.error or "")
    assert info.value.request_id


def test_failed_job_is_recorded(session: pw.Session) -> None:
    with pytest.raises(pw.JobFailedError):
        session.enhance("http://127.0.0.1:9/never.jpg")
    (record,) = session.store.runs()
    assert record.status == "failed" and "never.jpg" in (record.error or "")


def test_estimate_is_known_before_spending(session: pw.Session) -> None:
    assert session.estimate("generate", prompt="x", num_output_images=4) == pytest.approx(0.36)
    assert session.estimate("generate", prompt="x", resolution="4K") == pytest.approx(0.18)
    assert session.estimate("enhance", image="x", profile_ids=["p"]) == pytest.approx(0.15)


def test_submit_run_returns_at_once_and_cancel_really_cancels(tmp_path: Path) -> None:
    with (
        LocalServer(api_key="k", queue_delay=3.0) as slow,
        pw.Session(api_key="k", base_url=slow.base_url, output_dir=tmp_path) as s,
    ):
        future = s.submit_run("generate", prompt="slow boat")
        assert not future.done()  # returned before the (3 s) job could end: not a wall-clock bound
        # cancel once the server has taken the submit (a run with a free slot is "submitted"
        # from its record on, before the submit leaves: that state alone says nothing sent)
        deadline = time.monotonic() + 30
        while not any(
            slow.state.jobs.by_client_request_id(r.client_request_id or "") for r in s.store.runs()
        ):
            assert time.monotonic() < deadline, "the submit never reached the server"
            time.sleep(0.02)
        future.cancel()
        with pytest.raises(Exception):  # noqa: B017 - CancelledError's module varies
            future.result(timeout=5)
        # the cancelled task lets an accepted submit land first: wait for that state, not time
        deadline = time.monotonic() + 30
        while s.store.runs()[0].job_id is None and s.store.runs()[0].status == "submitted":
            assert time.monotonic() < deadline, "the submit never landed"
            time.sleep(0.02)
        (record,) = s.store.runs()
        assert record.status == "submitted" and record.job_id  # paid work stays collectable


def test_a_new_kernel_resumes_a_submitted_job_instead_of_paying_twice(
    server: LocalServer, tmp_path: Path
) -> None:
    with pw.Session(api_key=PLANTED_KEY, base_url=server.base_url, output_dir=tmp_path) as s:
        job = s.client.submit("generate", prompt="resume me", num_output_images=2)
        run_id = s.store.start_run("generate", {"prompt": "resume me"}, backend=s.backend)
        s.store.record_job(run_id, job.job_id, job.client_request_id)
    jobs_before = len(server.state.jobs._jobs)
    with pw.Session(api_key=PLANTED_KEY, base_url=server.base_url, output_dir=tmp_path) as again:
        assert again.resuming is not None
        (result,) = again.resuming.result(timeout=30)
        record = again.store.get(run_id)
        assert record.status == "succeeded" and len(record.outputs) == 2
        assert result.job_id == job.job_id
    assert len(server.state.jobs._jobs) == jobs_before


def test_resume_marks_a_vanished_job_failed(server: LocalServer, tmp_path: Path) -> None:
    with pw.Session(
        api_key=PLANTED_KEY, base_url=server.base_url, output_dir=tmp_path, resume=False
    ) as s:
        run_id = s.store.start_run("generate", {"prompt": "x"}, backend=s.backend)
        s.store.record_job(run_id, "job_gone", "crid")
        assert s.resume() == []
        assert s.store.get(run_id).status == "failed"


def test_history_filters_reopens_and_reruns(session: pw.Session, data_dir: Path) -> None:
    first = session.generate("a blue boat")
    session.enhance(data_dir / "coffee.jpg")
    assert [r.endpoint for r in session.history] == ["enhance", "generate"]
    assert len(session.history.filter(endpoint="generate")) == 1
    assert len(session.history.filter(prompt="BLUE")) == 1
    reopened = session.history.result(first.run_id or "")
    assert [i.data for i in reopened.images] == [i.data for i in first.images]
    rerun = session.history.rerun(session.history[0])
    assert rerun.endpoint == "enhance" and rerun.run_id != session.history[1].run_id
    frame = session.history.to_dataframe()
    assert list(frame["endpoint"]) == ["enhance", "enhance", "generate"]
    assert "phota-history" in session.history._repr_html_()


def test_profiles_are_listed_once_and_cached(session: pw.Session, data_dir: Path) -> None:
    calls = 0
    original = session.aclient.profiles.list

    async def counting(tag: str | None = None) -> list[pw.api.models.ProfileSummary]:
        nonlocal calls
        calls += 1
        return await original(tag)

    session.aclient.profiles.list = counting  # type: ignore[method-assign]
    session.profiles()
    session.profiles()
    assert calls == 1
    session.profiles(refresh=True)
    assert calls == 2


def test_blocking_session_calls_work_inside_a_running_loop(session: pw.Session) -> None:
    async def cell() -> int:
        return len(session.generate("inside a loop").images)

    assert asyncio.run(cell()) == 1


def test_key_never_in_store_or_repr(session: pw.Session) -> None:
    session.generate("secret free")
    assert PLANTED_KEY not in repr(session)
    for path in session.output_dir.rglob("*"):
        if path.is_file():
            assert PLANTED_KEY.encode() not in path.read_bytes(), path


def test_use_key_switches_backend(
    tmp_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHOTA_API_KEY", raising=False)
    with pw.Session(output_dir=tmp_path) as s:
        local = s.local_server
        s.use_key(PLANTED_KEY, server.base_url)
        assert not s.is_local and s.backend == server.base_url
        assert local is not None and not local.running
        assert len(s.generate("after login").images) == 1
        with pytest.raises(ValueError, match="empty"):
            s.use_key("  ")


def test_a_passed_in_server_outlives_the_session(tmp_path: Path) -> None:
    with LocalServer(api_key="k") as srv:
        with pw.Session(output_dir=tmp_path, local_server=srv) as s:
            assert s.is_local
        assert srv.running
        with pytest.raises(RuntimeError, match="stopped"):
            s.loop.submit(asyncio.sleep(0))


def test_profile_listeners_hear_of_changes_and_concurrent_lists_share_a_call(
    session: pw.Session, data_dir: Path
) -> None:
    heard: list[list[str]] = []

    def listener(profiles: list[pw.api.models.ProfileSummary]) -> None:
        heard.append([p.profile_id for p in profiles])

    session.on_profiles_changed(listener)
    calls = 0
    original = session.aclient.profiles.list

    async def counting(tag: str | None = None) -> list[pw.api.models.ProfileSummary]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return await original(tag)

    session.aclient.profiles.list = counting  # type: ignore[method-assign]

    async def four_panels() -> None:
        await asyncio.gather(*(session.aprofiles() for _ in range(4)))

    session.loop.run(four_panels())
    assert calls == 1 and len(heard) == 1
    session.forget_profiles()
    deadline = time.monotonic() + 5
    while len(heard) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert calls == 2 and len(heard) == 2


def test_a_poll_hiccup_keeps_the_paid_job_collectable(
    session: pw.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from phota_widgets.api.jobs import AsyncJob

    async def broken_refresh(self: AsyncJob) -> None:
        raise pw.ConnectionError("connection dropped while polling")

    monkeypatch.setattr("phota_widgets.session.lifecycle.COLLECT_DELAYS", (0.0,))
    with monkeypatch.context() as patched:
        patched.setattr(AsyncJob, "refresh", broken_refresh)
        with pytest.raises(pw.ConnectionError):
            session.generate("a paid boat")
    (record,) = session.store.runs()
    assert record.status == "submitted" and record.job_id
    assert "resume" in (record.note or "")
    (result,) = session.resume()
    assert session.store.get(record.run_id).status == "succeeded" and len(result.images) == 1


def test_a_lost_submit_answer_is_resubmitted_with_the_same_key(
    server: LocalServer, session: pw.Session, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_submit = session.aclient.submit

    async def submit_then_drop(endpoint: str, **params: object) -> object:
        await real_submit(endpoint, **params)  # the server accepted (and would bill) it
        raise pw.ConnectionError("answer lost")

    with monkeypatch.context() as patched:
        patched.setattr(session.aclient, "submit", submit_then_drop)
        with pytest.raises(pw.ConnectionError):
            session.edit("warmer", [data_dir / "chelsea.jpg"])
    (record,) = session.store.runs()
    assert record.status == "submitted" and record.job_id is None and record.client_request_id
    jobs_before = len(server.state.jobs._jobs)
    (result,) = session.resume()
    assert len(server.state.jobs._jobs) == jobs_before  # the same job, not a second one
    assert session.store.get(record.run_id).status == "succeeded" and result.images


def test_resume_leaves_other_backends_runs_alone(session: pw.Session) -> None:
    run_id = session.store.start_run("generate", {"prompt": "x"}, backend="https://elsewhere")
    session.store.record_job(run_id, "job_elsewhere", "crid")
    assert session.resume() == []
    assert session.store.get(run_id).status == "submitted"


def test_closing_a_session_cancels_runs_in_flight(tmp_path: Path) -> None:
    with LocalServer(api_key="k", queue_delay=5.0) as slow:
        s = pw.Session(api_key="k", base_url=slow.base_url, output_dir=tmp_path)
        future = s.submit_run("generate", prompt="never collected")
        time.sleep(0.3)
        started = time.perf_counter()
        s.close()
        assert future.cancelled() or future.done()
        assert time.perf_counter() - started < 5


def test_a_passed_in_server_prints_no_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalServer(api_key="k") as srv, pw.Session(output_dir=tmp_path, local_server=srv):
        assert capsys.readouterr().out == ""


def test_notes_survive_the_job_path(session: pw.Session, data_dir: Path) -> None:
    result = session.edit("warmer and add a dragon", [data_dir / "chelsea.jpg"])
    assert 'not understood: "add a dragon"' in result.notes
    assert any(n.startswith("applied: warmth") for n in result.notes)


def test_a_dropped_connection_is_collected_again_without_paying_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("phota_widgets.session.lifecycle.COLLECT_DELAYS", (0.05, 0.05, 0.05, 0.05))
    faults = pw.Faults(drop_rate=0.5, seed=4)
    with (
        LocalServer(api_key="k", faults=faults) as flaky,
        pw.Session(api_key="k", base_url=flaky.base_url, output_dir=tmp_path) as s,
    ):
        s.aclient = s.aclient.with_options(max_retries=1)  # most drops reach the session
        results = [s.generate(f"boat {i}") for i in range(4)]
        assert all(r.images for r in results)
        assert len(flaky.state.jobs._jobs) == 4  # one job per run, never two
        assert {r.status for r in s.store.runs()} == {"succeeded"}


def test_cancel_during_submit_keeps_an_accepted_job(
    server: LocalServer, session: pw.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = server.state.jobs.submit

    def slow_accept(*args: object, **kwargs: object) -> object:
        job = real(*args, **kwargs)  # accepted (and billed) now ...
        time.sleep(0.5)  # ... but the answer is late
        return job

    monkeypatch.setattr(server.state.jobs, "submit", slow_accept)
    future = session.submit_run("generate", prompt="accepted then cancelled")
    deadline = time.monotonic() + 5
    while not session.store.runs(status="submitted") and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # the submit is on the wire
    future.cancel()
    deadline = time.monotonic() + 5
    while not any(r.job_id for r in session.store.runs()) and time.monotonic() < deadline:
        time.sleep(0.05)
    (record,) = session.store.runs()
    assert record.status == "submitted" and record.job_id  # kept: resume collects it
    monkeypatch.undo()
    (result,) = session.resume()
    assert result.images


def test_cancel_while_waiting_for_a_slot_ends_the_run(tmp_path: Path) -> None:
    with (
        LocalServer(api_key="k", queue_delay=1.0) as slow,
        pw.Session(
            api_key="k", base_url=slow.base_url, output_dir=tmp_path, max_concurrency=1
        ) as s,
    ):
        first = s.submit_run("generate", prompt="first")
        recorded: list[str] = []
        second = s.submit_run("generate", prompt="second", on_recorded=recorded.append)
        deadline = time.monotonic() + 5
        while not recorded and time.monotonic() < deadline:
            time.sleep(0.01)
        second.cancel()
        first.result(timeout=10)
        deadline = time.monotonic() + 5
        while s.store.get(recorded[0]).status == "running" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert s.store.get(recorded[0]).status == "cancelled"


def test_a_run_with_a_free_slot_is_recorded_submitted_at_once_a_queued_one_when_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One store write before a submit when a slot is free (the run is born "submitted"); a
    run that waits for a slot is recorded queued ("running") and marked once the slot is its.
    (A run someone is told of is never born "submitted": see test_session_ownership.py.)"""
    from phota_widgets.store import RunStore

    marked: list[str] = []
    real = RunStore.record_submission

    def record_submission(store: RunStore, run_id: str, key: str) -> None:
        marked.append(run_id)
        real(store, run_id, key)

    monkeypatch.setattr(RunStore, "record_submission", record_submission)
    with (
        LocalServer(api_key="k", queue_delay=2.0) as slow,  # the first holds the slot 2 s
        pw.Session(
            api_key="k", base_url=slow.base_url, output_dir=tmp_path, max_concurrency=1
        ) as s,
    ):

        def recorded(prompt: str) -> str:  # nobody is told of these runs: read the store
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                found = [r.run_id for r in s.store.runs() if r.prompt == prompt]
                if found:
                    return found[0]
                time.sleep(0.01)
            raise AssertionError(f"run {prompt!r} never recorded")

        first = s.submit_run("generate", prompt="first")
        recorded("first")  # it took the one slot before it was recorded
        second = s.submit_run("generate", prompt="second")
        queued = [recorded("second")]
        assert s.store.get(queued[0]).status == "running"  # waits for the one slot
        first.result(timeout=30)
        second.result(timeout=30)
    assert marked == [queued[0]]  # the first was born "submitted": no second write


def test_each_output_is_stored_as_soon_as_it_arrives(
    session: pw.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Image 0 is on disk even though image 1's download never succeeds."""
    monkeypatch.setattr("phota_widgets.session.lifecycle.COLLECT_DELAYS", (0.0,))
    transport = session.aclient.transport
    real_download = transport.download

    async def second_fails(url: str) -> bytes:
        if len(seen) >= 1:
            raise pw.ConnectionError("download dropped")
        seen.append(url)
        return await real_download(url)

    seen: list[str] = []
    monkeypatch.setattr(transport, "download", second_fails)
    with pytest.raises(pw.ConnectionError):
        session.generate("two boats", num_output_images=2)
    (record,) = session.store.runs()
    assert [o.index for o in record.outputs] == [0] and record.outputs[0].path.exists()
    assert record.status == "submitted"  # still collectable: resume fetches the rest
    monkeypatch.undo()
    (result,) = session.resume()
    assert [o.index for o in session.store.get(record.run_id).outputs] == [0, 1]
    assert len(result.images) == 2


def test_a_single_output_is_kept_in_the_write_that_ends_its_run(
    session: pw.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One output: nothing comes between its download and the run's record, so both are one
    store write (several are kept one by one as they arrive, above)."""
    writes: list[tuple[str, int]] = []
    store = session.store
    real_add, real_finish = store.add_output, store.finish_run

    def add(*args: Any, **kwargs: Any) -> Any:
        writes.append(("add_output", 1))
        return real_add(*args, **kwargs)

    def finish(*args: Any, **kwargs: Any) -> None:
        writes.append(("finish_run", len(kwargs.get("outputs", ()))))
        real_finish(*args, **kwargs)

    monkeypatch.setattr(store, "add_output", add)
    monkeypatch.setattr(store, "finish_run", finish)
    result = session.generate("one boat")
    assert writes == [("finish_run", 1)]
    record = store.get(result.run_id or "")
    assert record.status == "succeeded" and len(record.outputs) == 1
    assert record.outputs[0].path.read_bytes() == result.images[0].data


def test_a_plain_session_still_prints_the_notice_for_scripts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PHOTA_API_KEY", raising=False)
    monkeypatch.delenv("PHOTA_BASE_URL", raising=False)
    with pw.Session(output_dir=tmp_path / "runs") as session:
        printed = capsys.readouterr().out
        assert session.notice is not None and session.notice in printed
        assert "stand-in" in printed
