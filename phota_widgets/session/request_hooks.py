"""httpx hooks telling a session's limit and pacer what its requests meet.

Each keyed request waits its turn under the pacer and is stamped when it leaves; each answer is
counted (taken, or refused with the time its request left), and a 202 tells the limit the server
now holds that call's job. A parked submit takes a slot again before its retry leaves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from phota_widgets.api.polling import DurationBook
from phota_widgets.api.retry import parse_retry_after
from phota_widgets.session.concurrency import AdaptiveLimit, Ticket, current_slot

PACED_PATIENCE = 1.05
"""Once paced, a job first polls this much later than its kind's wake (see ``watch_answers``)."""

SENT_AT = "phota_sent_at"
"""A keyed request's extension: when it left (after its turn), on the pacer's clock."""


def watch_answers(
    limit: AdaptiveLimit, durations: DurationBook | None = None
) -> Callable[[httpx.Response], Awaitable[None]]:
    """An httpx response hook telling ``limit`` what the API answered the running slot's call:
    a 202 (the job was accepted: it counts against the server's cap from this moment) and every
    429 (retried ones included). Once ``limit`` paces requests, ``durations`` polls a little
    later (``PACED_PATIENCE``): fewer second polls, each a request the rate limit counts."""

    async def on_response(response: httpx.Response) -> None:
        if response.status_code != 429 and "x-api-key" in response.request.headers:
            limit.pacer.taken()
        if response.status_code not in (202, 429):
            return
        ticket = _ticket_of(limit)
        if response.status_code == 202:
            if ticket is not None:
                limit.accepted(ticket)
            return
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        limit.rate_limited(ticket, retry_after, response.request.extensions.get(SENT_AT))
        if durations is not None:
            durations.patience = PACED_PATIENCE if limit.pacer.limit_met else 1.0

    return on_response


def pace_requests(limit: AdaptiveLimit) -> Callable[[httpx.Request], Awaitable[None]]:
    """An httpx request hook: each keyed request waits its turn under ``limit``'s pacer (a
    parked submit first takes a slot again), and a submit's clock starts as it leaves."""

    async def on_request(request: httpx.Request) -> None:
        ticket = _ticket_of(limit)
        if ticket is not None:
            await limit.resume(ticket)  # a refused submit takes a slot again before its retry
        if "x-api-key" in request.headers:
            waited = await limit.pacer.wait()
            request.extensions[SENT_AT] = limit.pacer.sent()
            if ticket is not None:
                ticket.paced += waited
        if ticket is not None and not ticket.accepted and request.method == "POST":
            # the call's latency runs from its submit leaving, not from the slot: the run
            # store's writes before it are this machine's time, not the API's
            ticket.started, ticket.paced = limit.clock(), 0.0

    return on_request


def _ticket_of(limit: AdaptiveLimit) -> Ticket | None:
    """The ticket of ``limit``'s slot the running task holds (None: no slot of it)."""
    held = current_slot()
    return held[1] if held is not None and held[0] is limit else None
