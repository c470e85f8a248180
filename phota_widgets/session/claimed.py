"""Shared work run once across processes: claim it, run it, or wait for whoever holds it.

Two notebooks (or a server and a notebook) running the same sweep on one shared store each ask
to claim a cell before running it. The first claim wins; the holder renews its lease while it
works and marks the claim done with its run. The others wait and then show that run's result,
read back from the shared store. When a holder dies, its lease runs out and the next process
takes the cell over: a run it had already submitted is collected with the same idempotency key
or job id (nothing paid twice); one never sent is run afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from phota_widgets.api.errors import PhotaError
from phota_widgets.store.leases import DEFAULT_TTL, Claim

if TYPE_CHECKING:
    from phota_widgets.api.results import Result
    from phota_widgets.session import Session
    from phota_widgets.store import RunStore

logger = logging.getLogger("phota_widgets")

TTL_ENV = "PHOTA_CLAIM_TTL"
POLL_SECONDS = 1.0
"""How often a waiting process looks at a claim it does not hold."""
NEVER_SENT = "its process stopped before sending it; the cell was taken over"


def holder_id() -> str:
    """A name for this process's claims: host, process id and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim_ttl() -> float:
    """Seconds a claim lasts without renewal: ``PHOTA_CLAIM_TTL``, else one minute.

    Raises:
        ValueError: if ``PHOTA_CLAIM_TTL`` is not a positive number.
    """
    text = os.environ.get(TTL_ENV, "").strip()
    if not text:
        return DEFAULT_TTL
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ValueError(f"{TTL_ENV} must be a number of seconds above 0, got {text!r}")
    return value


def holder_gone(holder: str) -> bool:
    """Whether a holder is a process of this machine that no longer exists.

    Holders on other machines (or named otherwise) are never declared gone: their claims are
    taken over when their lease runs out.
    """
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    return False


class ClaimHolder(Protocol):
    """What :func:`busy_runs` reads: a run store and this process's name on claims."""

    @property
    def store(self) -> RunStore: ...

    @property
    def holder(self) -> str: ...


def busy_runs(session: ClaimHolder) -> set[str]:
    """Runs that another live process holds a claim on (leave them to it)."""
    held = session.store.leases.busy_runs(session.holder)
    return {run_id for run_id, holder in held.items() if not holder_gone(holder)}


class ClaimedElsewhereError(PhotaError):
    """The process that ran a shared cell recorded a failure for it."""


class CollectInterruptedError(PhotaError):
    """A taken-over run was accepted but could not be collected now (it stays submitted)."""


async def arun_once(
    session: Session,
    key: str,
    endpoint: str,
    *,
    ttl: float | None = None,
    poll: float = POLL_SECONDS,
    on_recorded: Callable[[str], None] | None = None,
    **params: Any,
) -> Result:
    """Run ``endpoint`` for the shared work ``key`` unless another process does it.

    Args:
        session: the session whose store (shared or not) holds the claims.
        key: names the work (e.g. ``sweep/<id>/<cell>``); the same key means the same run.
        ttl: seconds the claim lasts without renewal (renewed every third of it; default
            :func:`claim_ttl`).
        poll: seconds between looks at a claim another process holds.
        on_recorded: called with the run id once this process records its own run.
        **params: the request's parameters.

    Raises:
        ClaimedElsewhereError: if the process that ran it recorded a failure.
    """
    leases = session.store.leases
    ttl = claim_ttl() if ttl is None else ttl
    while True:
        async with _claim_slot(session):
            if await asyncio.to_thread(leases.claim, key, session.holder, ttl):
                return await _run_held(session, key, endpoint, ttl, on_recorded, params)
            claim = await asyncio.to_thread(leases.get, key)
            if claim is not None and claim.state == "done" and claim.run_id is not None:
                return await asyncio.to_thread(_answer, session, claim)
            if claim is not None and claim.state == "held" and holder_gone(claim.holder):
                took = await asyncio.to_thread(
                    leases.claim, key, session.holder, ttl, dead=claim.holder
                )
                if took:
                    return await _run_held(session, key, endpoint, ttl, on_recorded, params)
        await asyncio.sleep(poll)


_slots: weakref.WeakKeyDictionary[Session, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _claim_slot(session: Session) -> contextlib.AbstractAsyncContextManager[Any]:
    """On a shared store, hold at most one claim more than the session runs at once, so that
    processes sharing a sweep split it instead of one claiming cells it cannot start yet."""
    if not session.store.shared:
        return contextlib.nullcontext()
    slots = _slots.get(session)
    if slots is None:
        slots = _slots[session] = asyncio.Semaphore(session.max_concurrency + 1)
    return slots


async def _run_held(
    session: Session,
    key: str,
    endpoint: str,
    ttl: float,
    on_recorded: Callable[[str], None] | None,
    params: dict[str, Any],
) -> Result:
    leases, holder = session.store.leases, session.holder
    renewing = asyncio.ensure_future(_renew(session, key, ttl))
    run_id: str | None = None

    def recorded(new_run_id: str) -> None:
        nonlocal run_id
        run_id = new_run_id
        leases.attach(key, holder, new_run_id)
        if on_recorded is not None:
            on_recorded(new_run_id)

    try:
        claim = await asyncio.to_thread(leases.get, key)
        result = None
        if claim is not None and claim.run_id is not None:
            logger.info("took over %s from %s (its run %s)", key, claim.holder, claim.run_id)
            result = await _take_over(session, claim.run_id)
            if result is not None:
                run_id = claim.run_id
        if result is None:
            result = await session.arun(endpoint, on_recorded=recorded, **params)
    except PhotaError:
        failed = run_id is not None and session.store.get(run_id).status == "failed"
        if failed:  # the answer is a failure: show it to the others rather than pay again
            assert run_id is not None
            await asyncio.to_thread(leases.finish, key, holder, run_id)
        else:
            await asyncio.to_thread(leases.release, key, holder)
        raise
    except BaseException:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(leases.release, key, holder)
        raise
    finally:
        renewing.cancel()
    assert result.run_id is not None
    if not await asyncio.to_thread(leases.finish, key, holder, result.run_id):
        logger.warning("claim %s was taken over while this process ran it", key)
    return result


async def _take_over(session: Session, run_id: str) -> Result | None:
    """Finish the run a dead holder left: collect it if it was sent, else None (run anew)."""
    record = await asyncio.to_thread(session.store.get, run_id)
    logger.info("run %s left %s: %s", run_id, record.status, record.error or record.note or "")
    if record.status == "succeeded":
        return await asyncio.to_thread(session.result, run_id)
    if record.status == "running":  # recorded, never sent: nothing was paid
        await asyncio.to_thread(
            session.store.finish_run, run_id, status="cancelled", error=NEVER_SENT
        )
        return None
    if record.status == "submitted":
        result = await session.collect_run(record)
        if result is not None:
            return result
        still = await asyncio.to_thread(session.store.get, run_id)
        if still.status == "succeeded":  # collected meanwhile by a resume of this session
            return await asyncio.to_thread(session.result, run_id)
        if still.status == "submitted":  # accepted (maybe paid), not collectable just now
            raise CollectInterruptedError(
                f"run {run_id} was accepted but could not be collected yet; it is kept, and"
                " session.resume() collects it later without paying twice"
            )
    return None


async def _renew(session: Session, key: str, ttl: float) -> None:
    while True:
        await asyncio.sleep(ttl / 3)
        kept = await asyncio.to_thread(session.store.leases.renew, key, session.holder, ttl)
        if not kept:
            logger.warning("lost the claim on %s (its lease ran out)", key)
            return


def _answer(session: Session, claim: Claim) -> Result:
    assert claim.run_id is not None
    record = session.store.get(claim.run_id)
    if record.status != "succeeded":
        raise ClaimedElsewhereError(
            f"{claim.holder} ran this and it {record.status}: {record.error or 'no detail'}"
        )
    return session.result(claim.run_id)
