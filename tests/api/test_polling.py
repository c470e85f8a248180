"""Polls follow the learned duration of a kind of job, and go where the handle says."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

import phota_widgets as pw
from phota_widgets.api.jobs import AsyncJob
from phota_widgets.api.polling import (
    CLOSE,
    EARLY,
    FIRST_SHARE,
    OVERSHOOT,
    UNKNOWN_MIN_GAP,
    DurationBook,
    poll_times,
    settings_key,
)
from phota_widgets.local import LocalServer


def test_unknown_duration_polls_quickly_then_within_ten_percent() -> None:
    times = list(itertools.islice(poll_times(None, max_gap=5.0), 200))
    assert times[0] <= 0.05
    for before, after in itertools.pairwise(times):
        assert after - before <= max(UNKNOWN_MIN_GAP, before * OVERSHOOT) + 1e-9
        assert after - before <= 5.0 + 1e-9


def test_known_duration_sleeps_until_it_is_likely_done() -> None:
    times = list(itertools.islice(poll_times(2.0, max_gap=5.0), 6))
    assert times[0] == pytest.approx(2.0 * EARLY)  # no quick check: the job is known to take 2 s
    assert times[1] - times[0] <= times[0] * CLOSE + 1e-9


def test_likely_done_starts_low_in_what_the_first_job_narrowed_it_to() -> None:
    book = DurationBook()
    key = settings_key("generate", {})
    assert book.likely_done(key) is None
    book.learn(key, running_at=0.9, done_at=1.1, on_schedule=False)
    assert book.likely_done(key) == pytest.approx(0.9 + 0.2 * FIRST_SHARE)
    assert 0.9 < book.likely_done(key) < 1.0  # low: a job found running costs one close poll
    book.record(key, 5.0)  # a late sighting of a job says little: the wake stays
    assert book.likely_done(key) == pytest.approx(0.9 + 0.2 * FIRST_SHARE)


def test_a_long_expected_wait_still_polls_every_max_gap() -> None:
    times = list(itertools.islice(poll_times(60.0, max_gap=5.0), 14))
    assert all(b - a <= 5.0 + 1e-9 for a, b in itertools.pairwise(times))
    assert pytest.approx(60.0 * EARLY) in times


def test_duration_book_is_per_kind_and_bounded() -> None:
    book = DurationBook(remembered=3)
    fast = settings_key("generate", {"resolution": "1K", "num_output_images": 1})
    slow = settings_key("generate", {"resolution": "4K", "num_output_images": 1})
    assert fast != slow
    assert settings_key("edit", {"images": ["a", "b"]}) != settings_key("edit", {"images": ["a"]})
    for seconds in (9.0, 1.0, 1.0, 1.0):
        book.record(fast, seconds)
    assert book.expected(fast) == 1.0  # the oldest (9 s) was forgotten
    assert book.expected(slow) is None


def counting(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    """Record each poll's path and when it was sent (seconds after the job's handle came)."""
    polls: list[tuple[str, float]] = []
    original = AsyncJob.refresh

    async def refresh(self: AsyncJob) -> object:
        polls.append((self.poll_path, time.perf_counter() - self.submitted_at))
        return await original(self)

    monkeypatch.setattr(AsyncJob, "refresh", refresh)
    return polls


def test_second_job_of_a_kind_polls_on_the_learned_schedule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    polls = counting(monkeypatch)
    with (
        LocalServer(api_key="k", processing=0.6) as srv,
        pw.PhotaClient(api_key="k", base_url=srv.base_url) as client,
    ):
        first = client.submit("generate", prompt="a barn").wait()
        key = settings_key("generate", first.request)
        learned = client.aclient.durations.likely_done(key)
        # within what the first job's last two polls narrowed its end to (on a busy machine
        # the polls come late and far apart: no fixed bound holds)
        (_, running_at), (_, done_at) = polls[-2:]
        assert learned is not None and running_at - 0.01 <= learned <= done_at + 0.01
        assert learned >= 0.3
        polls.clear()
        second = client.submit("generate", prompt="a boat").wait()
        assert len(second.images) == 1
        assert all(path == f"/jobs/{second.job_id}" for path, _ in polls)
        # Polls may come late on a busy machine, never early: nothing until the learned duration.
        assert all(at >= learned * EARLY - 0.005 for _, at in polls), (learned, polls)


def test_once_learned_a_job_polls_far_less_than_the_first_of_its_kind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """How few (about 1.3 polls a job) is the benchmark's figure and the wake tests' (on a test
    clock): here a busy machine may stretch a job past its learned wake."""
    polls = counting(monkeypatch)
    with (
        LocalServer(api_key="k", processing=0.3) as srv,
        pw.PhotaClient(api_key="k", base_url=srv.base_url) as client,
    ):
        client.submit("generate", prompt="a barn").wait()  # a kind never seen: polled closely
        first = len(polls)
        for i in range(2):
            client.submit("generate", prompt=f"a barn {i}").wait()
        polls.clear()
        jobs = 8
        for i in range(jobs):
            client.submit("generate", prompt=f"a boat {i}").wait()
        assert len(polls) / jobs < first / 2, (first, polls)


def test_a_late_wait_checks_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    polls = counting(monkeypatch)

    async def scenario(srv: LocalServer) -> None:
        async with pw.AsyncPhotaClient(api_key="k", base_url=srv.base_url) as client:
            job = await client.submit("generate", prompt="a barn")
            await job.wait()
            found = await client.get_job(job.job_id, endpoint="generate")
            found.request = dict(job.request)
            polls.clear()
            assert len((await found.wait()).images) == 1

    with LocalServer(api_key="k", processing=0.3) as srv:
        asyncio.run(scenario(srv))
    assert polls[0][1] <= 0.25  # a resumed job may be done already: no learned sleep


def test_a_patient_book_polls_later_than_the_wake(monkeypatch: pytest.MonkeyPatch) -> None:
    polls = counting(monkeypatch)
    with (
        LocalServer(api_key="k", processing=0.3) as srv,
        pw.PhotaClient(api_key="k", base_url=srv.base_url) as client,
    ):
        first = client.submit("generate", prompt="a barn").wait()
        book = client.aclient.durations
        learned = book.likely_done(settings_key("generate", first.request))
        assert learned is not None
        book.patience = 2.0
        polls.clear()
        client.submit("generate", prompt="a boat").wait()
        assert polls and polls[0][1] >= 2.0 * learned - 0.005, (learned, polls)
