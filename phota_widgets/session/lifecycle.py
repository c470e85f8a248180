"""A run's lifecycle: refuse bad input, record, submit, wait, save each image, end honestly.

What ``Session.arun`` does. Every step is written to the run store as it happens, on the
session's store thread (:class:`~phota_widgets.session.store_writer.StoreWriter`): the
parameters before sending, the job key before the submit, the job id before waiting, each
image as soon as it arrives. A cancel never loses a submit that may have been accepted (see
:mod:`phota_widgets.session.submits`), and a dropped connection leaves the run collectable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from phota_widgets.api.client import IMAGE_FIELDS, encode_images
from phota_widgets.api.counting import begin_count
from phota_widgets.api.errors import NotSentError, PhotaError
from phota_widgets.api.jobs import AsyncJob
from phota_widgets.api.models import JobBody
from phota_widgets.api.polling import settings_key
from phota_widgets.api.results import OutputImage, Result
from phota_widgets.session.concurrency import AdaptiveLimit, Ticket, current_slot
from phota_widgets.session.offline_inputs import refuse_internet_links
from phota_widgets.session.owners import OwnerLock
from phota_widgets.session.submits import (
    TRANSIENT_ERRORS,
    InFlight,
    Landed,
    cancel_recorded,
    cancel_unsent,
    on_landing,
    outlast_cancels,
    record_landing,
)

if TYPE_CHECKING:
    from phota_widgets.session.facade import Session
    from phota_widgets.store import RunStatus

COLLECT_DELAYS: tuple[float, ...] = (1.0, 3.0)
"""Pauses before collecting an interrupted run again (with the same key or job id)."""
SUBMIT_GRACE = 10.0
"""Seconds a cancelled run (or a closing session) waits for a submit on the wire to land."""
INTERRUPTED = "interrupted: the job is kept; session.resume() collects it without paying twice"
RESUME_HINT = "the run is kept: session.resume() collects it later without paying twice"
SENT_SYNC = "sent as a synchronous request"
"""Note on a sync run while its request is out (so a crash then is told apart from a queued run)."""

logger = logging.getLogger("phota_widgets")

Saver = Callable[[OutputImage], Awaitable[None]]
"""Keeps one output in the run store as it arrives."""


class RunLifecycle:
    """Runs calls for a session: submit, poll, record, cancel (one per session).

    Args:
        session: the session whose client, store, writer and defaults the runs use.
        limit: the session's limit on calls at once.
        owner: the session's claim on its runs (its token is recorded with each).
    """

    def __init__(self, session: Session, limit: AdaptiveLimit, owner: OwnerLock) -> None:
        self._session = session
        self.limit = limit
        self.owner = owner
        self.active: set[str] = set()
        """Runs this session is working on now (recovery leaves them alone)."""
        self.in_flight = InFlight()
        """Submits on the wire: a closing session lets them land before it stops."""
        self._saved: dict[str, set[int]] = {}
        """Outputs each run's saver has written (store thread only): its record skips them."""

    async def arun(
        self,
        endpoint: str,
        *,
        on_recorded: Callable[[str], None] | None = None,
        **params: Any,
    ) -> Result:
        """Run a request, recording it as it happens (see ``Session.arun``)."""
        session = self._session
        store, writer = session.store, session.writer
        params = {**session.defaults, **params}
        if any(params.get(name) is not None for name in IMAGE_FIELDS):  # files: off the loop
            params = await asyncio.to_thread(self._wire_images, params)
        _, described = await session.aclient.prepare(endpoint, params)  # refuses before spending
        key = uuid.uuid4().hex if session.use_jobs else None  # recorded with the row: never lost
        # a slot free now is taken now: the run is recorded "submitted" at once (one write
        # fewer before the submit); else it is recorded queued and waits for one in run_job.
        # Not when someone is told of the run first (a sweep links its cell, a claim its run):
        # until that lands, a process that stops must leave the run "running" (never sent), or a
        # resume sends it unlinked while its cell is run again (paid twice)
        free = key is not None and on_recorded is None
        taken = self.limit.try_acquire() if free else None
        recording = writer.post(
            store.start_run,
            endpoint,
            described,
            backend=session.backend_id,
            status="running" if taken is None else "submitted",
            client_request_id=key,
            owner=self.owner.token,
        )
        try:
            run_id = await asyncio.shield(asyncio.wrap_future(recording))
        except asyncio.CancelledError:  # recorded all the same: end it, after the record lands
            if taken is not None:
                self.limit.release(taken)
            with contextlib.suppress(RuntimeError):
                writer.post(cancel_recorded, store, recording)
            raise
        self.active.add(run_id)
        if on_recorded is not None:
            on_recorded(run_id)
        started = time.perf_counter()
        requests = begin_count()  # this task's requests from here on (see api/counting.py)
        try:
            if key is not None:  # the job holds a slot while it runs (see run_job)
                result = await self.run_job(run_id, endpoint, params, key, described, taken=taken)
            else:
                async with self.limit.slot():
                    await writer.call(store.set_note, run_id, SENT_SYNC)
                    result = await session.aclient.run(endpoint, params, self.saver(run_id))
                    self._succeeded(endpoint, params)
                    await writer.call(store.set_note, run_id, None)
        except asyncio.CancelledError:
            await writer.call(self._end_if_running, run_id, "cancelled", "cancelled")
            raise
        except PhotaError as exc:
            await writer.call(self._end_if_running, run_id, "failed", str(exc))
            raise
        finally:
            self.active.discard(run_id)
        result.requests = requests.total
        elapsed = time.perf_counter() - started
        return await writer.call(self.record, run_id, result, elapsed)

    def _end_if_running(self, run_id: str, status: RunStatus, error: str) -> None:
        """End a run that nothing was accepted for (still "running") with this status."""
        store = self._session.store
        self._saved.pop(run_id, None)
        if store.get(run_id).status == "running":
            store.finish_run(run_id, status=status, error=error)

    async def run_job(
        self,
        run_id: str,
        endpoint: str,
        params: Mapping[str, Any],
        client_request_id: str,
        recorded: Mapping[str, Any],
        *,
        fresh: bool = True,
        taken: Ticket | None = None,
    ) -> Result:
        """Submit (the key recorded first), record the job id, then wait for the result.

        Once the key is recorded, the run stays collectable unless the server refused it or the
        job failed, or the submit never left (a fresh run only: ``fresh=False`` is a key an
        earlier process may have sent). A cancel, however many, during the submit lets the
        submit finish (it may already be paid for) and keeps the job. Dropped connections and
        timeouts are retried a few times with the same key or job id; if they go on, the run
        stays "submitted" and ``Session.resume`` finishes it later, without paying twice. A
        concurrency slot is held from the submit until the job has ended on the server (so at
        most ``max_concurrency`` jobs run there at once), not across the download of its images;
        ``taken`` is one taken already (the run was recorded "submitted" with it).
        """
        session = self._session
        store, writer = session.store, session.writer
        job: AsyncJob | None = None
        job_id: str | None = None
        sending = False
        maybe_sent = not fresh  # a resumed key may have been accepted by an earlier process
        for attempt, delay in enumerate((*COLLECT_DELAYS, None)):
            try:
                held, taken = taken, None  # a slot taken with the record: the first try's
                async with self.limit.slot(held):  # held while the job runs on the server
                    if job is None and job_id is None:
                        if held is None:
                            # "submitted" only once the slot is ours: a queued run of a dead
                            # process is known never to have been sent (see settle_orphans)
                            await writer.call(store.record_submission, run_id, client_request_id)
                        # else recorded "submitted" already, and nobody was told of it (see
                        # arun): nothing else has to land before the submit
                        sending = True  # from here on, no cancel ends the run "cancelled"
                        job = await self._submit(run_id, endpoint, params, client_request_id)
                    elif job is None:
                        assert job_id is not None
                        job = await session.aclient.get_job(job_id, endpoint=endpoint)
                        job.request = dict(recorded)
                    job_id = job.job_id
                    done = await job.finished()
                    self._succeeded(endpoint, params)
                return await job.collect(done, self._saver_for(run_id, done))  # no slot
            except TRANSIENT_ERRORS as exc:
                if job_id is None and isinstance(exc, NotSentError) and not maybe_sent:
                    await writer.call(  # never left: nothing to keep, free to run again
                        store.finish_run, run_id, status="failed", error=str(exc)
                    )
                    raise
                maybe_sent = True
                job = None
                if delay is None:
                    await writer.call(store.set_note, run_id, f"{INTERRUPTED} ({exc})")
                    exc.args = (f"{exc.args[0] if exc.args else exc}; {RESUME_HINT}",)
                    raise
                logger.info("run %s interrupted (%s); try %d", run_id, exc, attempt + 2)
                await asyncio.sleep(delay)
            except asyncio.CancelledError:
                if not (sending or maybe_sent):
                    await writer.call(cancel_unsent, store, run_id)
                raise
            except PhotaError as exc:
                await writer.call(store.finish_run, run_id, status="failed", error=str(exc))
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _succeeded(self, endpoint: str, params: Mapping[str, Any]) -> None:
        """The running task's call ended well: the adaptive limit may grow."""
        held = current_slot()
        if held is not None:
            limit, ticket = held
            seconds = limit.clock() - ticket.started
            limit.succeeded(ticket, settings_key(endpoint, params), seconds)

    async def _submit(
        self, run_id: str, endpoint: str, params: Mapping[str, Any], client_request_id: str
    ) -> AsyncJob:
        """Submit and record the job id. Once sent, no cancel loses the answer: the submit is
        shielded, what it comes to is recorded whenever it lands, and the cancel is raised
        only after it landed (or after :data:`SUBMIT_GRACE`)."""
        session = self._session
        submit = asyncio.ensure_future(
            session.aclient.submit(endpoint, client_request_id=client_request_id, **params)
        )
        self.in_flight.add(submit)
        try:
            job = await asyncio.shield(submit)
        except asyncio.CancelledError:
            on_landing(submit, lambda landed: self._post_landing(run_id, client_request_id, landed))
            await outlast_cancels(submit, SUBMIT_GRACE)
            raise
        await session.writer.call(session.store.record_job, run_id, job.job_id, client_request_id)
        return job

    def _post_landing(self, run_id: str, key: str, landed: Landed[AsyncJob]) -> None:
        """Queue the record of what a cancelled run's submit came to (on the loop)."""
        with contextlib.suppress(RuntimeError):  # the writer closed: the run stays submitted
            self._session.writer.post(self._keep_landed, run_id, key, landed)

    def _keep_landed(self, run_id: str, key: str, landed: Landed[AsyncJob]) -> None:
        """Record what a cancelled run's submit came to (store thread; see submits)."""
        record_landing(self._session.store, run_id, key, landed, INTERRUPTED)
        self.active.discard(run_id)

    def saver(self, run_id: str) -> Saver:
        """Writes each output to the run store the moment it arrives (paid images first).

        The write (decoding, hashing, the file and its commit) is made on the store thread and
        awaited, so the output counts as received only once it is on disk.
        """
        session = self._session

        def write(image: OutputImage) -> None:
            session.store.add_output(run_id, image.index, image.data, image.format)
            self._saved.setdefault(run_id, set()).add(image.index)

        async def save(image: OutputImage) -> None:
            await session.writer.call(write, image)

        return save

    def _saver_for(self, run_id: str, done: JobBody) -> Saver | None:
        """The saver of a job with several outputs (each kept as it arrives); one output is
        kept with the run's record instead (nothing comes between them: one write fewer)."""
        found = done.result
        several = found is not None and len(found.download_urls or found.images) > 1
        return self.saver(run_id) if several else None

    def record(self, run_id: str, result: Result, elapsed: float) -> Result:
        """Keep any output not saved yet and end the run "succeeded" (on the store thread)."""
        store = self._session.store
        saved = self._saved.pop(run_id, set())
        store.finish_run(  # the outputs not saved yet with it: one transaction
            run_id,
            status="succeeded",
            request_id=result.request_id,
            elapsed=elapsed,
            cost=result.cost_estimate,
            known_subjects=result.known_subjects,
            requests=result.requests,
            outputs=[(i.index, i.data, i.format) for i in result.images if i.index not in saved],
        )
        result.run_id = run_id
        result.backend = self._session.backend_id
        return result

    def _wire_images(self, params: dict[str, Any]) -> dict[str, Any]:
        """Encode image parameters once, keeping each input in the store by content hash.

        Raises:
            InvalidRequestError: offline, an image is a link off this machine (nothing sent).
        """
        if self._session.is_local:
            refuse_internet_links(params, IMAGE_FIELDS)
        out = encode_images(params)
        for name in IMAGE_FIELDS:
            value = out.get(name)
            for image in value if isinstance(value, list) else [value] if value else []:
                if image.data is not None:
                    self._session.store.store_input(image.data)
        return out
