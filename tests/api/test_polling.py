"""Polls follow the learned duration of a kind of job, and go where the handle says."""

from __future__ import annotations

import itertools
import time

import pytest

import phota_widgets as pw
from phota_widgets.api.jobs import AsyncJob
from phota_widgets.api.polling import (
    CLOSE,
    EARLY,
    MIN_GAP,
    OVERSHOOT,
    DurationBook,
    poll_times,
    settings_key,
)
from phota_widgets.local import LocalServer


def test_unknown_duration_polls_quickly_then_within_ten_percent() -> None:
    times = list(itertools.islice(poll_times(None, max_gap=5.0), 200))
    assert times[0] <= 0.05
    for before, after in itertools.pairwise(times):
        assert after - before <= max(MIN_GAP, before * OVERSHOOT) + 1e-9
        assert after - before <= 5.0 + 1e-9


def test_known_duration_sleeps_until_shortly_before_it() -> None:
    times = list(itertools.islice(poll_times(2.0, max_gap=5.0), 6))
    assert times[0] <= 0.05 and times[1] == pytest.approx(2.0 * EARLY)
    assert times[2] - times[1] <= times[1] * CLOSE + 1e-9


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
        learned = client.aclient.durations.expected(key)
        assert learned is not None and learned >= 0.5
        polls.clear()
        second = client.submit("generate", prompt="a boat").wait()
        assert len(second.images) == 1
        assert all(path == f"/jobs/{second.job_id}" for path, _ in polls)
        # Polls may come late on a busy machine, never early: one quick check, then nothing
        # until shortly before the learned duration.
        _quick, *rest = [at for _, at in polls]
        assert all(at >= learned * EARLY - 0.005 for at in rest), (learned, polls)


def test_poll_url_is_used_only_under_the_api_root() -> None:
    client = pw.AsyncPhotaClient(api_key="k", base_url="http://127.0.0.1:9/v1/phota")
    job = AsyncJob(client, "job_1", poll_url="/v1/phota/jobs/job_1/status")
    assert job.poll_path == "/jobs/job_1/status"
    job = AsyncJob(client, "job_1", poll_url="http://127.0.0.1:9/v1/phota/jobs/x")
    assert job.poll_path == "/jobs/x"
    job = AsyncJob(client, "job_1", poll_url="https://elsewhere.example/jobs/job_1")
    assert job.poll_path == "/jobs/job_1"  # the key is never sent to another host
    job = AsyncJob(client, "job_1")
    assert job.poll_path == "/jobs/job_1"


def test_wait_refuses_a_non_positive_poll_interval() -> None:
    with (
        LocalServer(api_key="k") as srv,
        pw.PhotaClient(api_key="k", base_url=srv.base_url) as client,
    ):
        job = client.submit("generate", prompt="a barn")
        with pytest.raises(ValueError, match="poll_interval"):
            job.wait(poll_interval=0)
        assert job.wait().images
