"""The adaptive concurrency limit: slow start, cuts on 429s and latency, Retry-After for all."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import httpx
import pytest

import phota_widgets as pw
from phota_widgets.session.concurrency import PROBE_ROUNDS, AdaptiveLimit, Ticket
from tests.pacing_helpers import answered_over_a_second


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _limit(**kwargs: object) -> tuple[AdaptiveLimit, Clock]:
    clock = Clock()
    return AdaptiveLimit(clock=clock, **kwargs), clock  # type: ignore[arg-type]


def _ticket(clock: Clock, accepted: bool = True) -> Ticket:
    return Ticket(started=clock(), accepted=accepted)


def test_slow_start_doubles_each_round_up_to_the_ceiling() -> None:
    limit, clock = _limit(start=4, ceiling=20)
    for expected in (8, 16, 20):
        for _ in range(limit.current):
            limit.succeeded(_ticket(clock), "k", 1.0)
        assert limit.current == expected


def test_a_429_on_submit_cuts_to_the_jobs_the_server_held_once_per_round() -> None:
    limit, clock = _limit(start=4)
    held = [Ticket(started=clock()) for _ in range(3)]
    for ticket in held:
        limit._in_flight += 1
        limit.accepted(ticket)
    refused = _ticket(clock, accepted=False)
    clock.now += 0.1
    limit.rate_limited(refused, 1.0)
    assert limit.current == 3
    assert limit.paused_until == pytest.approx(clock.now + 1.0)
    limit.rate_limited(_ticket(Clock(), accepted=False), None)  # started before the cut
    assert limit.current == 3
    # after the cut growth is a slow probe: one slot per PROBE_ROUNDS rounds
    clock.now += 0.1
    successes = 0
    while limit.current == 3:
        limit.succeeded(_ticket(clock), "k", 1.0)
        successes += 1
    assert limit.current == 4
    assert 2 * PROBE_ROUNDS <= successes <= 4 * PROBE_ROUNDS  # about PROBE_ROUNDS rounds of 3


def test_a_429_on_a_poll_and_a_latency_rise_cut_by_a_share() -> None:
    limit, clock = _limit(start=10)
    limit.rate_limited(_ticket(clock, accepted=True), None)
    assert limit.current == 7
    clock.now += 1
    for _ in range(3):
        limit.succeeded(_ticket(clock), "k", 1.0)
    clock.now += 1
    limit.succeeded(_ticket(clock), "k", 2.5)  # 2.5x the usual second: the server queues
    assert limit.current < 7


def test_fixed_limit_never_moves() -> None:
    limit, clock = _limit(start=3, adaptive=False)
    for _ in range(10):
        limit.succeeded(_ticket(clock), "k", 1.0)
    limit.rate_limited(_ticket(clock, accepted=False), 0.5)
    assert limit.current == 3
    assert limit.paused_until > clock.now  # Retry-After is honoured whatever the mode


def test_retry_after_holds_every_new_call() -> None:
    async def scenario() -> float:
        limit = AdaptiveLimit(start=4)
        loop = asyncio.get_running_loop()
        limit.rate_limited(None, 0.3)
        began = loop.time()
        async with limit.slot():
            return loop.time() - began

    assert asyncio.run(scenario()) >= 0.25


def test_waiters_get_slots_as_they_free_and_as_the_limit_grows() -> None:
    async def scenario() -> int:
        limit = AdaptiveLimit(start=1, ceiling=4)
        most = 0

        async def call() -> None:
            nonlocal most
            async with limit.slot() as ticket:
                most = max(most, limit.in_flight)
                await asyncio.sleep(0.01)
                limit.accepted(ticket)
                limit.succeeded(ticket, "k", 0.01)

        await asyncio.gather(*(call() for _ in range(20)))
        assert limit.in_flight == 0
        return most

    most = asyncio.run(scenario())
    assert 2 <= most <= 4


def test_a_session_finds_the_servers_job_cap(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    limits = pw.Limits(max_jobs=3, retry_after=0.2)
    with (
        caplog.at_level(logging.INFO, logger="phota_widgets.concurrency"),
        pw.LocalServer(api_key="k", limits=limits, processing=0.3) as srv,
        pw.Session(api_key="k", base_url=srv.base_url, output_dir=tmp_path) as s,
    ):
        assert s.concurrency == 4
        res = s.sweep("generate", prompts=[f"boat {i}" for i in range(24)])
        df = res.to_dataframe()
        assert len(df) == 24 and df["path"].notna().all()
        counts = srv.limit_counts
        assert counts.most_jobs_at_once <= 3
        assert counts.jobs == 24  # every cell paid once: refused submits were never jobs
        assert counts.jobs_refused <= 6
        # The cap is found from the jobs held when a submit was refused: 3, or 2 when that
        # 429 was read before another submit's 202. Later a busy machine's latency may cut
        # lower (these jobs run on the same cores): never above the cap.
        found = [
            r.getMessage() for r in caplog.records if "the server's cap on jobs" in r.getMessage()
        ]
        cap_cut = re.compile(r"-> [23] \(429 on a submit: the server's cap on jobs\)$")
        assert found and cap_cut.search(found[0]), found
        # After the cut it probes one above the cap at most (additive growth meets the 429
        # again there); a sweep may end during a probe, so the last limit may read 4.
        limits_set = [
            int(m.group(1))
            for r in caplog.records
            if (m := re.search(r"-> (\d+) \(", r.getMessage())) is not None
        ]
        assert max(limits_set) <= 4, limits_set
        assert 1 <= s.concurrency <= 4


def test_a_fixed_session_keeps_its_limit(tmp_path: Path) -> None:
    with (
        pw.LocalServer(api_key="k") as srv,
        pw.Session(
            api_key="k",
            base_url=srv.base_url,
            output_dir=tmp_path,
            max_concurrency=2,
            adaptive=False,
        ) as s,
    ):
        s.sweep("generate", prompts=[f"boat {i}" for i in range(6)])
        assert s.concurrency == 2 and s.max_concurrency == 2


def test_each_run_counts_its_requests_and_a_learned_kind_needs_few(tmp_path: Path) -> None:
    """Each run's count is the requests it sent (seen on the wire), and once a kind's duration
    is learned its calls poll far less than the first. How few (1.5 polls a call) is a
    benchmark's figure: a busy machine stretches jobs past their learned wake."""
    with (
        pw.LocalServer(api_key="k", processing=0.3) as srv,
        pw.Session(api_key="k", base_url=srv.base_url, output_dir=tmp_path) as s,
    ):
        sent: list[str] = []

        async def seen(request: httpx.Request) -> None:
            sent.append(request.url.path)

        http = s.aclient.transport.http
        http.event_hooks["request"].append(seen)

        def call(prompt: str) -> int:
            before = len(sent)
            requests = s.generate(prompt).requests
            assert requests == len(sent) - before, sent[before:]  # calls one at a time
            return requests

        first = call("a barn")  # a kind never seen: polled closely from the start
        assert first >= 4  # submit, polls, download
        for i in range(3):
            call(f"a barn {i}")
        learned = [call(f"a boat {i}") for i in range(6)]
        assert sum(learned) / len(learned) < first, (first, learned)


def test_a_submit_429_with_few_jobs_held_is_a_request_limit_and_grows_back_a_slot_a_round() -> None:
    limit, clock = _limit(start=10)
    held = Ticket(started=clock())
    limit._in_flight += 1
    limit.accepted(held)  # the server held one of ours: its 429 is not about jobs
    clock.now += 0.1
    limit.rate_limited(_ticket(clock, accepted=False), 0.1)
    assert limit.current == 7
    clock.now += 0.1
    successes = 0
    while limit.current == 7:
        limit.succeeded(_ticket(clock), "k", 1.0)
        successes += 1
    assert successes <= 8  # about one round of 7, not PROBE_ROUNDS rounds


def test_a_submit_429_below_the_most_jobs_the_server_took_lately_is_a_request_limit() -> None:
    """A cap on jobs refuses only at it: the server took 10 of ours at once a moment ago, so a
    429 while it holds 8 is a request rate met (paced), not a cap of 8 (no slow probing)."""
    limit, clock = _limit(start=10)
    held = [Ticket(started=clock()) for _ in range(10)]
    for ticket in held:
        limit._in_flight += 1
        limit.accepted(ticket)
    for ticket in held[:2]:
        limit.release(ticket)  # two ended: the server holds 8 of ours
    clock.now += 0.1
    limit.rate_limited(_ticket(clock, accepted=False), 0.1)
    assert limit.pacer.rate is not None  # a request rate: paced
    assert limit.current == 7  # cut by a share, not to the 8 held
    assert not limit._probing  # and it grows back a slot a round


def test_a_request_rate_429_paces_keyed_requests_below_the_rate_the_api_took() -> None:
    from phota_widgets.session.pacing import KEEP, PROBE_SECONDS, RequestPacer

    clock = Clock()
    pacer = RequestPacer(clock=clock)

    async def turns(n: int) -> None:
        for _ in range(n):
            await pacer.wait()

    asyncio.run(turns(50))  # not paced before a 429: no waiting at all
    assert pacer.rate is None
    answered_over_a_second(pacer, clock.advance, 20)  # the API took 20 in the last second ...
    pacer.refused()  # ... and one 429 (1 in 21, maybe a stray one) paces for a while only
    assert not pacer.limit_met
    for _ in range(5):  # ... but a quarter of the answers refused is
        pacer.refused()
    assert pacer.limit_met and pacer.rate == pytest.approx(KEEP * 20)
    pacer.refused()  # the same burst: no second cut
    assert pacer.rate == pytest.approx(KEEP * 20)
    clock.now += PROBE_SECONDS
    asyncio.run(turns(1))  # a quiet while: the pace grows again
    assert pacer.rate > KEEP * 20


def test_a_session_under_a_request_rate_limit_meets_few_429s(tmp_path: Path) -> None:
    limits = pw.Limits(requests_per_second=5)  # low enough to be met on a busy machine too
    with (
        pw.LocalServer(api_key="k", limits=limits, processing=0.3) as srv,
        pw.Session(api_key="k", base_url=srv.base_url, output_dir=tmp_path) as s,
    ):
        first = s.sweep("generate", prompts=[f"kite {i}" for i in range(12)], progress=False)
        assert first.counts() == {"succeeded": 12}
        met = srv.limit_counts.requests_refused
        assert met >= 1 and s._concurrency.pacer.rate is not None  # the limit was met, and kept to
        again = s.sweep("generate", prompts=[f"boat {i}" for i in range(12)], progress=False)
        assert again.counts() == {"succeeded": 12}
        counts = srv.limit_counts
        assert counts.requests_refused - met <= 3, counts  # paced: hardly a 429 more


def test_what_a_session_learned_is_where_the_next_one_starts(tmp_path: Path) -> None:
    limits = pw.Limits(max_jobs=3, retry_after=0.2)
    with pw.LocalServer(api_key="k", limits=limits, processing=0.3) as srv:
        with pw.Session(api_key="k", base_url=srv.base_url, output_dir=tmp_path) as first:
            assert "nothing learned for this backend yet" in first.concurrency_note
            first.sweep("generate", prompts=[f"gull {i}" for i in range(16)], progress=False)
            learned = first.concurrency
        met = srv.limit_counts.jobs_refused
        # it met the cap of 3 and cut to it; it may end during a probe one above it, or, on a
        # busy machine, after a latency cut below it (these jobs run on the same cores)
        assert met >= 1 and 1 <= learned <= 4, (met, learned)
        with pw.Session(api_key="k", base_url=srv.base_url, output_dir=tmp_path) as again:
            assert again.concurrency == learned  # not the default: no 429 storm to learn again
            assert "as learned for this backend" in again.concurrency_note
            again.sweep("generate", prompts=[f"tern {i}" for i in range(9)], progress=False)
            refused = srv.limit_counts.jobs_refused - met
            assert refused == 0 if learned <= 3 else refused <= 2, (learned, refused)
        with pw.Session(
            api_key="k", base_url=srv.base_url, output_dir=tmp_path, adaptive=False
        ) as fixed:
            assert fixed.concurrency == 4 and "fixed" in fixed.concurrency_note


def test_requests_per_run_are_in_the_store_and_the_tables(tmp_path: Path) -> None:
    with (
        pw.LocalServer(api_key="k", processing=0.2) as srv,
        pw.Session(api_key="k", base_url=srv.base_url, output_dir=tmp_path) as s,
    ):
        res = s.sweep("generate", prompts=["a heron", "a crane"], progress=False)
        table = res.to_dataframe()
        assert (table["requests"] >= 3).all()  # submit, at least one poll, the download
        history = s.history.to_dataframe()
        assert list(history["requests"]) == [s.store.get(r).requests for r in history["run_id"]]
        assert history["requests"].notna().all()
