"""The wake of a learned kind of job follows its real duration, down as well as up."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from phota_widgets.api.polling import (
    MAX_RISE,
    MAX_STEP,
    STEP,
    DurationBook,
    poll_times,
    settings_key,
)

KEY = settings_key("generate", {})


def _polled(book: DurationBook, duration: float) -> int:
    """One job of ``duration`` s polled on the book's schedule; the polls it took."""
    wake = book.likely_done(KEY)
    running_at = None
    for polls, at in enumerate(poll_times(wake, max_gap=5.0), start=1):
        if at >= duration:
            book.learn(KEY, running_at=running_at, done_at=at, on_schedule=True)
            return polls
        running_at = at
    raise AssertionError("unreachable")


def test_hits_pull_the_wake_down_in_doubling_steps() -> None:
    book = DurationBook()
    book.learn(KEY, running_at=None, done_at=2.0, on_schedule=False)
    wakes = [2.0]
    for _ in range(8):
        book.learn(KEY, running_at=None, done_at=wakes[-1], on_schedule=True)
        wakes.append(book.likely_done(KEY) or 0.0)
    steps = [1 - after / before for before, after in itertools.pairwise(wakes)]
    assert steps[0] == pytest.approx(STEP)
    assert steps[1] == pytest.approx(2 * STEP)
    assert max(steps) == pytest.approx(MAX_STEP)  # doubling, then capped


def test_a_miss_raises_the_wake_into_the_gap_the_job_ended_in_and_steps_start_small() -> None:
    book = DurationBook()
    book.learn(KEY, running_at=None, done_at=1.0, on_schedule=False)
    book.learn(KEY, running_at=0.99, done_at=1.03, on_schedule=True)  # ended in (0.99, 1.03)
    assert book.likely_done(KEY) == pytest.approx(1.01)
    book.learn(KEY, running_at=None, done_at=1.01, on_schedule=True)
    assert book.likely_done(KEY) == pytest.approx(1.01 * (1 - STEP))


def test_a_slow_second_poll_raises_the_wake_by_max_rise_at_most() -> None:
    """Found running at the wake and seen done only much later (a slow poll): the job may
    have ended just after the wake, so the wake rises by ``MAX_RISE``, not to the middle."""
    book = DurationBook()
    book.learn(KEY, running_at=None, done_at=1.0, on_schedule=False)
    book.learn(KEY, running_at=1.0, done_at=2.0, on_schedule=True)
    assert book.likely_done(KEY) == pytest.approx(1.0 * (1 + MAX_RISE))


def test_a_job_seen_running_long_after_the_wake_lifts_it_that_far() -> None:
    book = DurationBook()
    book.learn(KEY, running_at=None, done_at=1.0, on_schedule=False)
    book.learn(KEY, running_at=1.9, done_at=2.0, on_schedule=True)  # ran ~2 s: slower now
    assert book.likely_done(KEY) == pytest.approx(1.9)


@pytest.mark.parametrize("start", [0.5, 1.05, 3.0])
def test_the_wake_settles_near_the_real_duration_in_few_polls(start: float) -> None:
    """From a first guess too low, close or far too high (a slow first job), the wake finds
    a 1 s job: about 1.3 polls a job and a wake within a few percent of it."""
    book = DurationBook()
    book.learn(KEY, running_at=None, done_at=start, on_schedule=False)
    for _ in range(40):  # settling
        _polled(book, 1.0)
    polls = [_polled(book, 1.0) for _ in range(200)]
    assert sum(polls) / len(polls) <= 1.5, polls
    wake = book.likely_done(KEY)
    assert wake is not None and 0.9 <= wake <= 1.08, wake


def test_the_wake_follows_a_kind_that_became_slower() -> None:
    book = DurationBook()
    book.learn(KEY, running_at=0.95, done_at=1.05, on_schedule=False)
    for _ in range(30):
        _polled(book, 1.0)
    for _ in range(30):
        _polled(book, 2.0)
    wake = book.likely_done(KEY)
    assert wake is not None and 1.8 <= wake <= 2.2, wake


def test_followers_are_woken_the_moment_a_kind_is_learned() -> None:
    book = DurationBook()

    async def scenario() -> bool:
        waiting = asyncio.ensure_future(book.until_learned(KEY, 300.0))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not waiting.done()  # nothing learned: it waits
        book.learn(KEY, running_at=0.9, done_at=1.0, on_schedule=False)
        return await asyncio.wait_for(waiting, 60.0)  # long before its 300 s

    assert asyncio.run(scenario()) is True
    assert asyncio.run(book.until_learned(KEY, 300.0)) is True  # known: at once


def test_a_follower_that_times_out_says_nothing_was_learned() -> None:
    book = DurationBook()
    assert asyncio.run(book.until_learned(KEY, 0.01)) is False
    assert book._waiters == {}  # no waiter left behind


def test_jobs_that_ran_at_once_and_tested_the_same_wake_move_it_once() -> None:
    book = DurationBook()
    book.learn(KEY, running_at=None, done_at=1.2, on_schedule=False)
    tested = book.likely_done(KEY)
    for _ in range(12):  # a wave of 12 jobs, all polled at the same wake, all found done
        book.learn(KEY, running_at=None, done_at=1.2, on_schedule=True, wake=tested)
    assert book.likely_done(KEY) == pytest.approx(1.2 * (1 - STEP))
