"""Retry-After after a job cap lets our own finished jobs be replaced; a paced session answers
429s with its pace, not with fewer calls at once."""

from __future__ import annotations

import asyncio

import pytest

from phota_widgets.session.concurrency import AdaptiveLimit, Ticket
from phota_widgets.session.pacing import MIN_REFUSED, RequestPacer
from tests.pacing_helpers import answered_over_a_second

DEADLINE = 60.0
"""Seconds a state is waited for at most (a busy machine is slow, never this slow)."""


async def _settle() -> None:
    """Let every task that can run, run."""
    for _ in range(20):
        await asyncio.sleep(0)


async def _held_by_the_cap(limit: AdaptiveLimit, jobs: int) -> tuple[list[Ticket], Ticket]:
    """``jobs`` accepted calls, then one more refused for the cap (Retry-After far away)."""
    held = [await limit.acquire() for _ in range(jobs)]
    for ticket in held:
        limit.accepted(ticket)
    refused = await limit.acquire()
    limit.rate_limited(refused, 300.0)
    return held, refused


def test_a_job_of_ours_that_ends_during_retry_after_is_replaced_at_once() -> None:
    async def scenario() -> None:
        limit = AdaptiveLimit(start=4)
        held, refused = await _held_by_the_cap(limit, 3)
        assert limit.current == 3 and refused.parked
        assert limit.in_flight == 3  # the refused submit waits without a slot
        first = asyncio.ensure_future(limit.acquire())
        second = asyncio.ensure_future(limit.acquire())
        await _settle()
        assert not first.done() and not second.done()  # Retry-After holds new calls
        limit.release(held[0])  # a job of ours ended: the server holds one fewer
        replaced = await asyncio.wait_for(asyncio.shield(first), DEADLINE)
        await _settle()
        assert not second.done()  # one place freed, one call: never more than it held
        assert limit.in_flight == 3
        limit.release(replaced)
        second.cancel()

    asyncio.run(scenario())


def test_a_parked_submit_takes_a_slot_again_before_its_retry() -> None:
    async def scenario() -> None:
        limit = AdaptiveLimit(start=4)
        held, refused = await _held_by_the_cap(limit, 3)
        limit.paused_until = 0.0  # its Retry-After has passed
        resuming = asyncio.ensure_future(limit.resume(refused))
        await _settle()
        assert not resuming.done() and refused.parked  # all 3 slots are taken
        limit.release(held[0])
        await asyncio.wait_for(resuming, DEADLINE)
        assert not refused.parked and limit.in_flight == 3
        limit.release(refused)
        assert limit.in_flight == 2

    asyncio.run(scenario())


def test_a_429_for_too_many_requests_holds_every_new_call_even_a_replacement() -> None:
    async def scenario() -> None:
        limit = AdaptiveLimit(start=4)
        held = [await limit.acquire() for _ in range(3)]
        for ticket in held:
            limit.accepted(ticket)
        limit.rate_limited(held[1], 300.0)  # a 429 on a poll: requests, not jobs
        waiting = asyncio.ensure_future(limit.acquire())
        limit.release(held[0])
        await _settle()
        assert not waiting.done()
        waiting.cancel()

    asyncio.run(scenario())


def _paced(limit: AdaptiveLimit) -> None:
    """Meet a request rate: enough 429s on polls that the pacer engages."""
    for _ in range(MIN_REFUSED + 1):
        limit.rate_limited(Ticket(started=limit.clock(), accepted=True), None)
    assert limit.pacer.rate is not None


def test_once_paced_a_429_is_answered_by_the_pace_not_by_fewer_calls() -> None:
    limit = AdaptiveLimit(start=10)
    _paced(limit)
    after_pacing = limit.current
    for accepted in (False, True):
        limit.rate_limited(Ticket(started=limit.clock() + 1, accepted=accepted), None)
    assert limit.current == after_pacing


def test_the_limit_does_not_grow_while_the_pace_holds_calls_back() -> None:
    limit = AdaptiveLimit(start=4)
    _paced(limit)
    before = limit.current
    rate = limit.pacer.rate
    assert rate is not None
    limit.pacer._next = limit.clock() + 20 / rate  # 20 requests wait their turn
    for _ in range(10):
        limit.succeeded(Ticket(started=limit.clock() + 1), "k", 1.0)
    assert limit.current == before
    limit.pacer._next = 0.0  # the queue drained: the pace no longer holds calls back
    for _ in range(10):
        limit.succeeded(Ticket(started=limit.clock() + 1), "k", 1.0)
    assert limit.current > before


def test_our_own_pace_is_not_a_rise_in_latency() -> None:
    limit = AdaptiveLimit(start=10)
    for _ in range(3):
        limit.succeeded(Ticket(started=limit.clock()), "k", 1.0)
    grown = limit.current
    queued = Ticket(started=limit.clock(), paced=1.5)  # waited 1.5 s for its turn here
    limit.succeeded(queued, "k", 2.5)  # 1 s at the API: as usual
    assert limit.current >= grown
    slow = Ticket(started=limit.clock())
    limit.succeeded(slow, "k", 2.5)  # 2.5 s at the API: the server queues
    assert limit.current < grown


def test_once_paced_jobs_first_poll_a_little_later() -> None:
    import httpx

    from phota_widgets.api.polling import DurationBook
    from phota_widgets.session.request_hooks import PACED_PATIENCE, watch_answers

    limit = AdaptiveLimit(start=4)
    book = DurationBook()
    hook = watch_answers(limit, book)
    refused = httpx.Response(429, request=httpx.Request("GET", "http://127.0.0.1/jobs/x"))

    async def answers(n: int) -> None:
        for _ in range(n):
            await hook(refused)

    asyncio.run(answers(1))  # one stray 429: paced a while, polls as learned
    assert not limit.pacer.limit_met and book.patience == 1.0
    asyncio.run(answers(MIN_REFUSED))
    assert limit.pacer.limit_met and book.patience == PACED_PATIENCE


def _pacer_at_a_met_limit(now: list[float]) -> RequestPacer:
    """A pacer on clock ``now`` whose API took 20 requests in the last second and refused 3."""
    pacer = RequestPacer(clock=lambda: now[0])
    answered_over_a_second(pacer, lambda seconds: now.__setitem__(0, now[0] + seconds), 20)
    for _ in range(3):
        pacer.refused()
    assert pacer.limit_met
    return pacer


def test_the_pace_finds_the_refused_rate_again_slowly_and_a_raised_one_fast() -> None:
    from phota_widgets.session.pacing import KEEP, NEAR, NEAR_STEP, PROBE_SECONDS, PROBE_STEP

    now = [100.0]
    pacer = _pacer_at_a_met_limit(now)
    assert pacer.rate is not None and abs(pacer.rate - KEEP * 20) < 1e-9

    def quiet_while() -> float:
        now[0] += PROBE_SECONDS
        before = pacer.rate
        asyncio.run(pacer.wait())
        assert pacer.rate is not None and before is not None
        return pacer.rate / before

    quiet_while()  # well below the rate refused: back near it at once ...
    assert abs(pacer.rate - NEAR * 20) < 1e-9
    assert abs(quiet_while() - NEAR_STEP) < 1e-9  # ... then past it slowly
    pacer.rate = 5.0  # far below it (say, after cuts for a slow spell): fast
    assert abs(quiet_while() - PROBE_STEP) < 1e-9


def test_once_paced_a_429_cuts_the_pace_a_little_once_a_second() -> None:
    from phota_widgets.session.pacing import CUT, WINDOW

    now = [100.0]
    pacer = _pacer_at_a_met_limit(now)
    paced = pacer.rate
    assert paced is not None
    pacer.refused()  # the same second: no cut
    assert pacer.rate == paced
    now[0] += WINDOW + 0.01
    pacer.refused()  # a second later, a 429 still: the first pace was a little high
    assert pacer.rate == pytest.approx(paced * CUT)


def test_stray_429s_cost_a_pace_a_bounded_share_and_never_spiral_it_down() -> None:
    from phota_widgets.session.pacing import FLOOR, WINDOW

    now = [100.0]
    pacer = _pacer_at_a_met_limit(now)
    paced = pacer.rate
    assert paced is not None
    for _ in range(60):  # a second later: many answers, one stray 429 among them, again and again
        now[0] += WINDOW + 0.01
        for _ in range(30):
            pacer.taken()
        pacer.refused()
        assert pacer.rate is not None and pacer.rate >= FLOOR * paced - 1e-9
    assert pacer.rate == pytest.approx(FLOOR * paced)  # the floor holds


def test_one_429_paces_for_a_while_only() -> None:
    """One 429 paces at once (the calls its Retry-After held are not all sent at once when it
    passes), but a quiet while after it, nothing is paced: it was a stray one."""
    from phota_widgets.session.pacing import KEEP, PROBE_SECONDS

    now = [100.0]
    pacer = RequestPacer(clock=lambda: now[0])
    answered_over_a_second(pacer, lambda seconds: now.__setitem__(0, now[0] + seconds), 20)
    pacer.refused()
    assert pacer.rate == pytest.approx(KEEP * 20) and not pacer.limit_met
    now[0] += PROBE_SECONDS
    assert asyncio.run(pacer.wait()) == 0.0
    assert pacer.rate is None


def test_the_first_pace_counts_requests_sent_not_only_those_answered_yet() -> None:
    """A busy server answers late: of 20 requests it admitted in the last second, 8 were
    answered when the 429 came. The pace follows the 20 (from the 8 it sat at under half the
    limit, and grew back too slowly to matter in a sweep)."""
    from phota_widgets.session.pacing import KEEP, WINDOW

    now = [100.0]
    pacer = RequestPacer(clock=lambda: now[0])
    for _ in range(20):
        pacer.sent()
        now[0] += 0.99 * WINDOW / 20
    for _ in range(8):
        pacer.taken()
    pacer.refused()
    assert pacer.rate == pytest.approx(KEEP * 20)


def test_a_429_sent_before_the_pace_began_says_a_limit_is_met_but_keeps_the_pace() -> None:
    """Requests already in flight when the first 429 set a pace are refused too: they say a
    limit is met (paced for good), but nothing of that pace, whatever the last second held."""
    from phota_widgets.session.pacing import KEEP

    now = [100.0]
    pacer = RequestPacer(clock=lambda: now[0])
    answered_over_a_second(pacer, lambda seconds: now.__setitem__(0, now[0] + seconds), 20)
    in_flight = pacer.sent()
    now[0] += 0.01
    pacer.refused()  # 21 sent in the second before it (one still unanswered) and admitted
    first = pacer.rate
    assert first == pytest.approx(KEEP * 21) and not pacer.limit_met
    for _ in range(10):  # a burst let through, answered meanwhile
        pacer.sent()
        pacer.taken()
    now[0] += 0.01
    pacer.refused(sent_at=in_flight)
    assert pacer.limit_met and pacer.rate == first


def test_met_again_soon_after_a_pace_for_one_429_the_rate_measured_then_holds() -> None:
    """After a quiet while unpaced, an API lets a burst through: the second before the next 429
    counts it. That 429 comes soon after the pace for one: the limit measured then still holds."""
    from phota_widgets.session.pacing import KEEP, PROBE_SECONDS

    now = [100.0]
    pacer = RequestPacer(clock=lambda: now[0])

    def advance(seconds: float) -> None:
        now[0] += seconds

    answered_over_a_second(pacer, advance, 20)
    pacer.refused()
    now[0] += PROBE_SECONDS
    assert asyncio.run(pacer.wait()) == 0.0 and pacer.rate is None  # a quiet while: unpaced
    answered_over_a_second(pacer, advance, 40)  # the burst a quiet while allowed, and the rate
    pacer.refused()
    assert pacer.limit_met and pacer.rate == pytest.approx(KEEP * 20)
