"""``Session``: one client pair, one run store, defaults, a concurrency limit and a cost ledger.

All API work runs on the session's own background event loop (a daemon thread), so a widget's Run
click returns at once, other cells run meanwhile, and the blocking client works inside Jupyter.
Every run is recorded in the run store as it happens: its parameters before sending, the job id
before waiting, each image as soon as it arrives. Those writes are made (and awaited) on the
session's store thread (:class:`StoreWriter`), so a durable commit never stalls the loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import httpx

from phota_widgets.api.client import IMAGE_FIELDS, AsyncPhotaClient, encode_images
from phota_widgets.api.counting import begin_count, count_request
from phota_widgets.api.errors import NotFoundError, NotSentError, PhotaError
from phota_widgets.api.jobs import AsyncJob
from phota_widgets.api.loop import BackgroundLoop
from phota_widgets.api.models import ProfileSummary
from phota_widgets.api.polling import settings_key
from phota_widgets.api.prices import DEFAULT_CONFIRM_ABOVE, DEFAULT_PRICE_TABLE, PriceTable
from phota_widgets.api.results import OutputImage, Result
from phota_widgets.api.sync import PhotaClient
from phota_widgets.api.transport import resolve_api_key
from phota_widgets.claimed import arun_once, busy_runs, holder_gone, holder_id
from phota_widgets.concurrency import (
    ADAPTIVE_CEILING,
    DEFAULT_START,
    AdaptiveLimit,
    Ticket,
    current_slot,
    pace_requests,
    watch_answers,
)
from phota_widgets.history import History
from phota_widgets.offline_inputs import refuse_internet_links
from phota_widgets.owners import OwnerLock
from phota_widgets.profile_cache import ProfileCache
from phota_widgets.store import RunRecord, RunStatus, RunStore, StoreLocation
from phota_widgets.store_writer import StoreWriter
from phota_widgets.submits import (
    TRANSIENT_ERRORS,
    InFlight,
    Landed,
    cancel_recorded,
    cancel_unsent,
    on_landing,
    outlast_cancels,
    record_landing,
)
from phota_widgets.watch import StoreWatcher

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.entry import SweepInfo
    from phota_widgets.experiments.sweeps.plan import SweepPlan
    from phota_widgets.experiments.sweeps.result import SweepResult
    from phota_widgets.experiments.sweeps.runner import CellOutcome, SweepHandle
    from phota_widgets.local.process import ServerProcess
    from phota_widgets.local.server import LocalServer

LOCAL_BACKEND = "local"
__all__ = ["TRANSIENT_ERRORS", "Session"]
COLLECT_DELAYS: tuple[float, ...] = (1.0, 3.0)
"""Pauses before collecting an interrupted run again (with the same key or job id)."""
SUBMIT_GRACE = 10.0
"""Seconds a cancelled run (or a closing session) waits for a submit on the wire to land."""
INTERRUPTED = "interrupted: the job is kept; session.resume() collects it without paying twice"
RESUME_HINT = "the run is kept: session.resume() collects it later without paying twice"
SENT_SYNC = "sent as a synchronous request"
"""Note on a sync run while its request is out (so a crash then is told apart from a queued run)."""
NEVER_SENT = "never sent: the process that queued it stopped first (nothing was charged)"
LOST_SYNC = (
    "the process stopped during its synchronous request: it may have been charged, and there is "
    "no job to collect (use_jobs=True makes runs resumable)"
)
LOST_UNKNOWN = "the process running it stopped before it was sent or answered; nothing to collect"
SERVER_GONE = (
    "the embedded server that accepted it has stopped, and its jobs with it (nothing was charged)"
)

logger = logging.getLogger("phota_widgets")


class Session:
    """Everything a notebook shares: clients, run store, defaults, concurrency and costs.

    Args:
        api_key: the Phota key; defaults to ``PHOTA_API_KEY``. With neither (and no
            ``base_url``), the session starts the embedded local server and says so once.
        base_url: the API root (default: Phota's).
        output_dir: where the run store keeps its index and images (only local caches when
            the index and files are shared).
        index_url: the run store's index: an SQLAlchemy URL (a team's
            ``postgresql+psycopg://user:pass@host/db``); default ``PHOTA_STORE_INDEX``, else
            SQLite in ``output_dir``.
        files_url: where output and input images live: a folder or fsspec URL
            (``s3://bucket/prefix``); default ``PHOTA_STORE_FILES``, else ``output_dir``.
        storage_options: fsspec options for ``files_url`` (endpoint, credentials, …).
        max_concurrency: the most requests in flight at once (the ceiling of the adaptive
            limit; default 32 when adaptive, 4 when not).
        adaptive: find the API's capacity by itself (see :mod:`phota_widgets.concurrency`):
            start at 4, grow while calls succeed, cut on a 429 or a rise in latency. False
            keeps ``max_concurrency`` as a fixed limit.
        defaults: parameters applied to every run unless given (e.g. ``output_format``).
        prices: the price table for estimates.
        use_jobs: run through async jobs, so a lost kernel resumes instead of paying twice.
        resume: collect jobs a previous kernel submitted but never collected.
        local_server: an embedded server to use (started if needed) instead of a new one.
            Without one, the session starts its own in a separate process (stopped with the
            session, at interpreter exit, or when this process dies).
        announce: print the plain notice when the embedded server is started (a script's or a
            notebook's only sign of it); the Studio turns it off and shows ``notice`` itself.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        output_dir: str | os.PathLike[str] = "phota-runs",
        max_concurrency: int | None = None,
        adaptive: bool = True,
        defaults: Mapping[str, Any] | None = None,
        prices: PriceTable = DEFAULT_PRICE_TABLE,
        use_jobs: bool = True,
        resume: bool = True,
        local_server: LocalServer | ServerProcess | None = None,
        index_url: str | None = None,
        files_url: str | os.PathLike[str] | None = None,
        storage_options: Mapping[str, Any] | None = None,
        announce: bool = True,
    ) -> None:
        if max_concurrency is not None and max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if max_concurrency is None:
            max_concurrency = ADAPTIVE_CEILING if adaptive else DEFAULT_START
        self.output_dir = Path(output_dir)
        self.defaults: dict[str, Any] = dict(defaults or {})
        self.prices = prices
        self.use_jobs = use_jobs
        self.max_concurrency = max_concurrency
        where = StoreLocation.resolve(index_url, files_url, storage_options)
        self.store = RunStore(
            self.output_dir,
            index_url=where.index_url,
            files_url=where.files_url,
            storage_options=where.storage_options,
        )
        self.loop = BackgroundLoop("phota-session")
        self.writer = StoreWriter()
        """Makes the running work's store calls, in order, off the loop (see store_writer)."""
        self.watcher = StoreWatcher(self.store, self.loop)
        """Notices changes other processes make to the run store (see :meth:`watch`)."""
        self.holder = holder_id()
        """This session's name on claims of shared work (host:pid:random)."""
        self.local_server: LocalServer | ServerProcess | None = None
        self._owns_server = False
        self._concurrency = AdaptiveLimit(
            start=DEFAULT_START, ceiling=max_concurrency, adaptive=adaptive
        )
        if not adaptive:
            self._concurrency.limit = float(max_concurrency)
        self._active: set[str] = set()
        self._in_flight = InFlight()
        """Submits on the wire: a closing session lets them land before it stops."""
        self._profile_cache = ProfileCache(lambda: self.aclient.profiles.list(), self.loop)
        self.resuming: concurrent.futures.Future[list[Result]] | None = None
        self._announce = announce
        key = resolve_api_key(api_key)
        if local_server is not None or (key is None and base_url is None):
            self._use_local(local_server)
        else:
            self._connect(key, base_url, inline_training_images=False)
        self._owner = OwnerLock(self.store.root, self.backend_id, read_only=self.store.read_only)
        if not self.store.read_only:  # a read-only store is browsed, never settled or resumed
            self.settle_orphans()
            if resume and self._resumable():
                self.resuming = self.loop.submit(self.aresume())

    # -- backends --------------------------------------------------------------------------------

    def _start_local(
        self, server: LocalServer | ServerProcess | None
    ) -> LocalServer | ServerProcess:
        """Start (or reuse) the embedded server and remember it (by default in its own process)."""
        from phota_widgets.local.process import ServerProcess

        if server is None:
            server = ServerProcess(data_dir=self.output_dir / "local-server")
        self.local_server = server.start()
        return self.local_server

    def _use_local(self, server: LocalServer | ServerProcess | None) -> None:
        self._owns_server = server is None
        server = self._start_local(server)
        self._connect(server.api_key, server.base_url, inline_training_images=True)
        if self._owns_server and self._announce:
            print(f"phota-widgets: {self.notice}")

    @property
    def notice(self) -> str | None:
        """What a user should know about the backend: set when the embedded server answers."""
        if self.local_server is None:
            return None
        return (
            "no Phota API key found, so this session uses the embedded local stand-in server "
            f"at {self.local_server.base_url} (offline, real image processing, not Phota's "
            "models). For the real API: set PHOTA_API_KEY, enter a key in the Studio's header, "
            "or show pw.login(session) in a cell."
        )

    def _connect(
        self, key: str | None, base_url: str | None, *, inline_training_images: bool
    ) -> None:
        self._adopt(self._new_client(key, base_url, inline_training_images=inline_training_images))

    def _new_client(
        self, key: str | None, base_url: str | None, *, inline_training_images: bool
    ) -> AsyncPhotaClient:
        """A client for this session: its requests counted, its 429s followed."""
        client = AsyncPhotaClient(
            key, base_url, prices=self.prices, inline_training_images=inline_training_images
        )
        http = client.transport.http
        hooks = http.event_hooks
        http.event_hooks = {
            "request": [*hooks["request"], count_request, self._pace],
            "response": [*hooks["response"], self._watch_429],
        }
        return client

    def _adopt(self, client: AsyncPhotaClient) -> None:
        """Use ``client`` from now on (the cached profile list goes with the old one)."""
        self.aclient = client
        self.client = PhotaClient(async_client=client, loop=self.loop)
        self._profile_cache.clear()

    @property
    def is_local(self) -> bool:
        """Whether requests go to the embedded local server."""
        return self.local_server is not None

    @property
    def backend(self) -> str:
        """``local`` or the API root in use."""
        return LOCAL_BACKEND if self.is_local else self.aclient.base_url

    @property
    def backend_id(self) -> str:
        """The server runs belong to: ``local:<server id>`` for an embedded one, else the root.

        Each embedded server holds its jobs in memory, so runs it accepted can only be collected
        from it; the run store records this id with every run.
        """
        if self.local_server is None:
            return self.aclient.base_url
        server_id = getattr(self.local_server, "server_id", None) or self.aclient.base_url
        return f"{LOCAL_BACKEND}:{server_id}"

    def use_key(self, api_key: str, base_url: str | None = None, *, check: bool = True) -> None:
        """Switch to the real API with this key (stops the embedded server).

        Args:
            api_key: the Phota key.
            base_url: the API root (default: Phota's).
            check: first make one cheap authenticated call (list the profiles); on failure
                nothing is switched.

        Raises:
            ValueError: the key is empty.
            KeyRefusedError: the API refused the key (an ``AuthenticationError``).
            NoNetworkError: the API could not be reached (a ``ConnectionError``).
        """
        from phota_widgets.key_check import check_key

        if not api_key.strip():
            raise ValueError("the API key is empty")
        candidate = self._new_client(api_key.strip(), base_url, inline_training_images=False)
        profiles: list[ProfileSummary] | None = None
        if check:
            try:
                profiles = self.loop.run(check_key(candidate))
            except BaseException:
                with contextlib.suppress(RuntimeError):
                    self.loop.run(candidate.aclose())
                raise
        old = self.aclient
        self._adopt(candidate)
        with contextlib.suppress(RuntimeError):
            self.loop.run(old.aclose())
        self._release_server()
        self._owner.set_backend(self.backend_id)
        if profiles is None:
            self.forget_profiles()
        else:
            self._profile_cache.put(profiles)

    def use_local(self) -> None:
        """Switch back to an embedded local stand-in server (offline; no key is kept).

        Does nothing when the session already uses one.
        """
        if self.is_local:
            return
        old = self.aclient
        self._owns_server = True
        server = self._start_local(None)
        self._connect(server.api_key, server.base_url, inline_training_images=True)
        self._owner.set_backend(self.backend_id)
        with contextlib.suppress(RuntimeError):
            self.loop.run(old.aclose())
        self.forget_profiles()

    # -- running ---------------------------------------------------------------------------------

    def estimate(self, endpoint: str, **params: Any) -> float:
        """What a run would cost (upper bound), before anything is sent."""
        return self.prices.estimate(endpoint, {**self.defaults, **params})

    @property
    def spent(self) -> float:
        """Estimated cost of this store's succeeded runs, in US dollars."""
        return round(self.store.total_cost("succeeded"), 4)

    async def arun(
        self,
        endpoint: str,
        *,
        on_recorded: Callable[[str], None] | None = None,
        **params: Any,
    ) -> Result:
        """Run a request on the session's loop, recording it as it happens.

        Args:
            endpoint: ``generate``, ``edit``, ``enhance`` or ``remix``.
            on_recorded: called with the run's id as soon as it is in the run store.
            **params: the request's parameters (the session's defaults fill the rest).
        """
        params = {**self.defaults, **params}
        params = await asyncio.to_thread(self._wire_images, params)
        _, described = await self.aclient.prepare(endpoint, params)  # refuses before spending
        key = uuid.uuid4().hex if self.use_jobs else None  # recorded with the row: never lost
        recording = self.writer.post(
            self.store.start_run,
            endpoint,
            described,
            backend=self.backend_id,
            client_request_id=key,
            owner=self._owner.token,
        )
        try:
            run_id = await asyncio.shield(asyncio.wrap_future(recording))
        except asyncio.CancelledError:  # recorded all the same: end it, after the record lands
            with contextlib.suppress(RuntimeError):
                self.writer.post(cancel_recorded, self.store, recording)
            raise
        self._active.add(run_id)
        if on_recorded is not None:
            on_recorded(run_id)
        started = time.perf_counter()
        requests = begin_count()  # this task's requests from here on (see api/counting.py)
        try:
            if key is not None:  # the job holds a slot while it runs (see _run_job)
                result = await self._run_job(run_id, endpoint, params, key, described)
            else:
                async with self._limit():
                    await self.writer.call(self.store.set_note, run_id, SENT_SYNC)
                    result = await self.aclient.run(endpoint, params, self._saver(run_id))
                    self._succeeded(endpoint, params)
                    await self.writer.call(self.store.set_note, run_id, None)
        except asyncio.CancelledError:
            await self.writer.call(self._end_if_running, run_id, "cancelled", "cancelled")
            raise
        except PhotaError as exc:
            await self.writer.call(self._end_if_running, run_id, "failed", str(exc))
            raise
        finally:
            self._active.discard(run_id)
        result.requests = requests.total
        elapsed = time.perf_counter() - started
        return await self.writer.call(self._record, run_id, result, elapsed)

    def _end_if_running(self, run_id: str, status: RunStatus, error: str) -> None:
        """End a run that nothing was accepted for (still "running") with this status."""
        if self.store.get(run_id).status == "running":
            self.store.finish_run(run_id, status=status, error=error)

    async def _run_job(
        self,
        run_id: str,
        endpoint: str,
        params: Mapping[str, Any],
        client_request_id: str,
        recorded: Mapping[str, Any],
        *,
        fresh: bool = True,
    ) -> Result:
        """Submit (the key recorded first), record the job id, then wait for the result.

        Once the key is recorded, the run stays collectable unless the server refused it or the
        job failed, or the submit never left (a fresh run only: ``fresh=False`` is a key an
        earlier process may have sent). A cancel, however many, during the submit lets the
        submit finish (it may already be paid for) and keeps the job. Dropped connections and
        timeouts are retried a few times with the same key or job id; if they go on, the run
        stays "submitted" and :meth:`resume` finishes it later, without paying twice. A
        concurrency slot is held from the submit until the job has ended on the server (so at
        most ``max_concurrency`` jobs run there at once), not across the download of its images.
        """
        job: AsyncJob | None = None
        job_id: str | None = None
        sending = False
        maybe_sent = not fresh  # a resumed key may have been accepted by an earlier process
        for attempt, delay in enumerate((*COLLECT_DELAYS, None)):
            try:
                async with self._limit():  # held while the job runs on the server
                    if job is None and job_id is None:
                        # "submitted" only once the slot is ours: a queued run of a dead
                        # process is known never to have been sent (see settle_orphans)
                        await self.writer.call(
                            self.store.record_submission, run_id, client_request_id
                        )
                        sending = True  # from here on, no cancel ends the run "cancelled"
                        job = await self._submit(run_id, endpoint, params, client_request_id)
                    elif job is None:
                        assert job_id is not None
                        job = await self.aclient.get_job(job_id, endpoint=endpoint)
                        job.request = dict(recorded)
                    job_id = job.job_id
                    done = await job.finished()
                    self._succeeded(endpoint, params)
                return await job.collect(done, self._saver(run_id))  # downloads: no slot
            except TRANSIENT_ERRORS as exc:
                if job_id is None and isinstance(exc, NotSentError) and not maybe_sent:
                    await self.writer.call(  # never left: nothing to keep, free to run again
                        self.store.finish_run, run_id, status="failed", error=str(exc)
                    )
                    raise
                maybe_sent = True
                job = None
                if delay is None:
                    await self.writer.call(self.store.set_note, run_id, f"{INTERRUPTED} ({exc})")
                    exc.args = (f"{exc.args[0] if exc.args else exc}; {RESUME_HINT}",)
                    raise
                logger.info("run %s interrupted (%s); try %d", run_id, exc, attempt + 2)
                await asyncio.sleep(delay)
            except asyncio.CancelledError:
                if not (sending or maybe_sent):
                    await self.writer.call(cancel_unsent, self.store, run_id)
                raise
            except PhotaError as exc:
                await self.writer.call(
                    self.store.finish_run, run_id, status="failed", error=str(exc)
                )
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
        submit = asyncio.ensure_future(
            self.aclient.submit(endpoint, client_request_id=client_request_id, **params)
        )
        self._in_flight.add(submit)
        try:
            job = await asyncio.shield(submit)
        except asyncio.CancelledError:
            on_landing(submit, lambda landed: self._post_landing(run_id, client_request_id, landed))
            await outlast_cancels(submit, SUBMIT_GRACE)
            raise
        await self.writer.call(self.store.record_job, run_id, job.job_id, client_request_id)
        return job

    def _post_landing(self, run_id: str, key: str, landed: Landed[AsyncJob]) -> None:
        """Queue the record of what a cancelled run's submit came to (on the loop)."""
        with contextlib.suppress(RuntimeError):  # the writer closed: the run stays submitted
            self.writer.post(self._keep_landed, run_id, key, landed)

    def _keep_landed(self, run_id: str, key: str, landed: Landed[AsyncJob]) -> None:
        """Record what a cancelled run's submit came to (store thread; see submits)."""
        record_landing(self.store, run_id, key, landed, INTERRUPTED)
        self._active.discard(run_id)

    def _saver(self, run_id: str) -> Callable[[OutputImage], Awaitable[None]]:
        """Writes each output to the run store the moment it arrives (paid images first).

        The write (decoding, hashing, the file and its commit) is made on the store thread and
        awaited, so the output counts as received only once it is on disk.
        """

        def write(image: OutputImage) -> None:
            self.store.add_output(run_id, image.index, image.data, image.format)

        async def save(image: OutputImage) -> None:
            await self.writer.call(write, image)

        return save

    def _record(self, run_id: str, result: Result, elapsed: float) -> Result:
        stored = {output.index for output in self.store.get(run_id).outputs}
        for image in result.images:
            if image.index not in stored:
                self.store.add_output(run_id, image.index, image.data, image.format)
        self.store.finish_run(
            run_id,
            status="succeeded",
            request_id=result.request_id,
            elapsed=elapsed,
            cost=result.cost_estimate,
            known_subjects=result.known_subjects,
        )
        result.run_id = run_id
        result.backend = self.backend_id
        return result

    def submit_run(
        self,
        endpoint: str,
        *,
        on_recorded: Callable[[str], None] | None = None,
        **params: Any,
    ) -> concurrent.futures.Future[Result]:
        """Start a run on the background loop and return at once (cancel the future to stop)."""
        return self.loop.submit(self.arun(endpoint, on_recorded=on_recorded, **params))

    def run(self, endpoint: str, **params: Any) -> Result:
        """Run a request and wait for it (blocking; fine inside a notebook cell)."""
        return self.loop.run(self.arun(endpoint, **params))

    def generate(self, prompt: str, **params: Any) -> Result:
        """Generate from a prompt, recorded in the run store."""
        return self.run("generate", prompt=prompt, **params)

    def edit(self, prompt: str, images: Any, **params: Any) -> Result:
        """Edit photos with a prompt, recorded in the run store."""
        return self.run("edit", prompt=prompt, images=images, **params)

    def enhance(self, image: Any, **params: Any) -> Result:
        """Enhance a photo, recorded in the run store."""
        return self.run("enhance", image=image, **params)

    def remix(self, input_image: Any, reference_image: Any, **params: Any) -> Result:
        """Remix a photo in a reference's style, recorded in the run store."""
        return self.run("remix", input_image=input_image, reference_image=reference_image, **params)

    def _limit(self) -> contextlib.AbstractAsyncContextManager[Ticket]:
        return self._concurrency.slot()

    @property
    def concurrency(self) -> int:
        """Requests the session lets run at once now (adaptive: it follows the API's limits)."""
        return self._concurrency.current

    async def _pace(self, request: httpx.Request) -> None:
        await pace_requests(self._concurrency)(request)  # once a request-rate 429 was met

    async def _watch_429(self, response: httpx.Response) -> None:
        await watch_answers(self._concurrency)(response)  # 202s and 429s of the slot's call

    def _wire_images(self, params: dict[str, Any]) -> dict[str, Any]:
        """Encode image parameters once, keeping each input in the store by content hash.

        Raises:
            InvalidRequestError: offline, an image is a link off this machine (nothing sent).
        """
        if self.is_local:
            refuse_internet_links(params, IMAGE_FIELDS)
        out = encode_images(params)
        for name in IMAGE_FIELDS:
            value = out.get(name)
            for image in value if isinstance(value, list) else [value] if value else []:
                if image.data is not None:
                    self.store.store_input(image.data)
        return out

    async def arun_once(
        self,
        key: str,
        endpoint: str,
        *,
        on_recorded: Callable[[str], None] | None = None,
        **params: Any,
    ) -> Result:
        """Run shared work ``key`` once across every process on this store.

        The first process to claim ``key`` runs it; the others wait and return its result
        (read back from the store). A crashed holder's claim expires and is taken over, its
        submitted job collected without paying twice. See :mod:`phota_widgets.claimed`.
        """
        return await arun_once(self, key, endpoint, on_recorded=on_recorded, **params)

    def watch(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` (on the session's loop) whenever the run store changes, also by
        another process or machine; polls every ``PHOTA_WATCH_SECONDS`` (5 s) while anyone
        listens. Returns the function that stops listening."""
        return self.watcher.subscribe(listener)

    def run_once(self, key: str, endpoint: str, **params: Any) -> Result:
        """Blocking :meth:`arun_once`."""
        return self.loop.run(self.arun_once(key, endpoint, **params))

    # -- prompt experiments (see phota_widgets.experiments) ---------------------------------------

    @overload
    def sweep(
        self,
        endpoint: str,
        prompts: Any = ...,
        images: Any = ...,
        *,
        vars: Mapping[str, Any] | None = ...,
        repeats: int = ...,
        dry_run: Literal[True],
        max_cost: float | None = ...,
        confirm_above: float | None = ...,
        confirm: bool = ...,
        retry_failed: bool = ...,
        progress: bool = ...,
        name: str | None = ...,
        checks: Sequence[Any] | None = ...,
        **grid: Any,
    ) -> SweepPlan: ...

    @overload
    def sweep(
        self,
        endpoint: str,
        prompts: Any = ...,
        images: Any = ...,
        *,
        vars: Mapping[str, Any] | None = ...,
        repeats: int = ...,
        dry_run: Literal[False] = ...,
        max_cost: float | None = ...,
        confirm_above: float | None = ...,
        confirm: bool = ...,
        retry_failed: bool = ...,
        progress: bool = ...,
        name: str | None = ...,
        checks: Sequence[Any] | None = ...,
        **grid: Any,
    ) -> SweepResult: ...

    def sweep(
        self,
        endpoint: str,
        prompts: Any = None,
        images: Any = None,
        *,
        vars: Mapping[str, Any] | None = None,
        repeats: int = 1,
        dry_run: bool = False,
        max_cost: float | None = None,
        confirm_above: float | None = DEFAULT_CONFIRM_ABOVE,
        confirm: bool = False,
        retry_failed: bool = False,
        progress: bool = True,
        name: str | None = None,
        checks: Sequence[Any] | None = None,
        **grid: Any,
    ) -> SweepPlan | SweepResult:
        """Run prompts x inputs x settings x vars x repeats; every cell kept in the run store.

        Args:
            endpoint: ``generate``, ``edit``, ``enhance`` or ``remix``.
            prompts: the prompts; ``{name}`` placeholders are filled from ``vars``.
            images: the inputs (edit: each an image or a list of images).
            vars: each var's values, every one an axis.
            repeats: calls per combination.
            dry_run: only plan: return the :class:`SweepPlan` (cells, cost, time, skips).
            max_cost: refuse (``BudgetExceededError``) if the cells to send may cost more.
            confirm_above: with the real API, cells to send that may cost more than this (US
                dollars; None: never) are confirmed first: asked at a terminal, else refused
                (``ConfirmationRequiredError``, nothing sent) unless ``confirm=True``.
            confirm: send without asking, whatever ``confirm_above`` says.
            retry_failed: send cells that failed before again (done cells never are).
            progress: show a progress bar.
            name: a name for the sweep.
            checks: checks and scores run on each output as it arrives (``"aspect_ratio"``,
                ``{"max_cost": 0.1}``, ``{"vlm_rubric": {...}}``, a function); kept in the store.
            **grid: settings (``aspect_ratio``, ``base_model``, ...; remix: ``reference_image``);
                a list is an axis, a scalar a fixed setting. ``max_cells=`` raises the limit
                on cells (200,000 by default; counted before any cell is built).

        Returns:
            The :class:`SweepResult` (the plan with ``dry_run=True``).
        """
        from phota_widgets.experiments.scoring import resolve_checks
        from phota_widgets.experiments.sweeps.entry import run_plan

        scorers = resolve_checks(checks)  # a bad check is refused before anything is planned
        plan = self._plan_sweep(endpoint, prompts, images, vars, repeats, retry_failed, name, grid)
        if dry_run:
            plan.check_budget(max_cost)
            return plan
        self._confirm_spend(plan, max_cost, confirm_above, confirm)
        return run_plan(self, plan, max_cost=max_cost, progress=progress, checks=scorers)

    def submit_sweep(
        self,
        endpoint: str,
        prompts: Any = None,
        images: Any = None,
        *,
        vars: Mapping[str, Any] | None = None,
        repeats: int = 1,
        max_cost: float | None = None,
        confirm_above: float | None = DEFAULT_CONFIRM_ABOVE,
        confirm: bool = False,
        retry_failed: bool = False,
        progress: bool = True,
        name: str | None = None,
        on_cell: Callable[[CellOutcome], None] | None = None,
        checks: Sequence[Any] | None = None,
        **grid: Any,
    ) -> SweepHandle:
        """Start a sweep in the background and return at once with a handle.

        The handle has ``progress``, ``cancel()`` and ``result()``; ``on_cell`` is called (on the
        session's loop) as each cell ends. Arguments as :meth:`sweep`.
        """
        from phota_widgets.experiments.scoring import resolve_checks
        from phota_widgets.experiments.sweeps.entry import submit_plan

        scorers = resolve_checks(checks)
        plan = self._plan_sweep(endpoint, prompts, images, vars, repeats, retry_failed, name, grid)
        self._confirm_spend(plan, max_cost, confirm_above, confirm)
        return submit_plan(
            self, plan, max_cost=max_cost, progress=progress, on_cell=on_cell, checks=scorers
        )

    def _confirm_spend(
        self, plan: SweepPlan, max_cost: float | None, confirm_above: float | None, confirm: bool
    ) -> None:
        """Refuse over budget, then ask (or refuse) above ``confirm_above`` on the real API."""
        from phota_widgets.experiments.sweeps.spend import confirm_spend

        plan.check_budget(max_cost)
        confirm_spend(plan, real=not self.is_local, confirm_above=confirm_above, confirm=confirm)

    def _plan_sweep(
        self,
        endpoint: str,
        prompts: Any,
        images: Any,
        vars: Mapping[str, Any] | None,
        repeats: int,
        retry_failed: bool,
        name: str | None,
        grid: dict[str, Any],
    ) -> SweepPlan:
        from phota_widgets.experiments.sweeps.entry import plan_sweep

        reference = grid.pop("reference_image", None)
        limit = {"max_cells": grid.pop("max_cells")} if "max_cells" in grid else {}
        return plan_sweep(
            self,
            endpoint,
            prompts=prompts,
            images=images,
            reference_image=reference,
            vars=vars,
            repeats=repeats,
            retry_failed=retry_failed,
            name=name,
            grid=grid,
            **limit,
        )

    def sweeps(self) -> list[SweepInfo]:
        """Every sweep in this run store, newest first (reopen one with ``SweepResult.load``)."""
        from phota_widgets.experiments.sweeps.entry import list_sweeps

        return list_sweeps(self)

    # -- resuming --------------------------------------------------------------------------------

    async def collect_run(self, record: RunRecord) -> Result | None:
        """Collect one submitted run (same key or job id: nothing paid twice); None if not."""
        return await self._resume_one(record)

    def settle_orphans(self) -> int:
        """Honestly end the unfinished runs of processes that have stopped; returns how many.

        A run that never got its turn is ``cancelled`` (nothing was sent); one whose process
        died mid-way through a synchronous request is ``failed`` (no job to collect); one
        accepted by an embedded server that has stopped is ``failed`` (its jobs ended with it).
        Submitted jobs on a live backend are left for :meth:`resume`; the runs of a live
        process (another kernel on the same folder) are never touched.
        """
        live = OwnerLock.live(self.store.root)
        live_backends = set(live.values())
        ended = 0
        expired = self.store.leases.expired_runs() if self.store.shared else set()
        for record, owner in self.store.unfinished_runs():
            if self._owner_alive(record.run_id, owner, live, expired):
                continue
            outcome = _orphan_outcome(record, owner, live_backends)
            if outcome is None or not self.store.claim_run(
                record.run_id, self._owner.token, previous=owner
            ):
                continue
            status, error = outcome
            self.store.finish_run(record.run_id, status=status, error=error)
            ended += 1
        return ended

    def _owner_alive(
        self, run_id: str, owner: str | None, live: Mapping[str, str], expired: set[str]
    ) -> bool:
        """Whether a run's owner may still be working on it.

        Lock files in this folder tell for sessions sharing the folder. On a shared store other
        owners may be on other machines (or use other folders): they count as alive unless they
        are processes of this machine that are gone, or the claim they held on the run has
        expired (the lease is the sign of life across machines).
        """
        if owner is None:
            return False
        if owner in live:
            return True
        if not self.store.shared or holder_gone(owner):
            return False
        return run_id not in expired

    def _resumable(self) -> list[RunRecord]:
        """Submitted runs of this backend whose process is gone (or is this one, idle)."""
        live = OwnerLock.live(self.store.root)
        expired = self.store.leases.expired_runs() if self.store.shared else set()
        found = []
        for record, owner in self.store.unfinished_runs():
            if record.status != "submitted" or record.backend != self.backend_id:
                continue
            if record.job_id is None and record.client_request_id is None:
                continue
            if record.run_id in self._active or (
                owner != self._owner.token
                and self._owner_alive(record.run_id, owner, live, expired)
            ):
                continue
            found.append(record)
        return found

    async def aresume(self) -> list[Result]:
        """Collect every job submitted but never collected (e.g. before a kernel restart).

        Only runs of this session's backend whose process has stopped (or this session's own,
        when no request of it is still waiting on them) are taken; each is claimed first, so
        two sessions never collect the same run. On a shared store, runs that another live
        process holds a claim on are left to it.
        """
        results = []
        busy = await asyncio.to_thread(busy_runs, self)
        for record in await self.writer.call(self._resumable):
            if record.run_id in busy:
                continue
            if not await self.writer.call(self._claim, record.run_id):
                continue
            self._active.add(record.run_id)
            try:
                result = await self._resume_one(record)
            finally:
                self._active.discard(record.run_id)
            if result is not None:
                await asyncio.to_thread(self.store.leases.settle, record.run_id)
                results.append(result)
        return results

    def _claim(self, run_id: str) -> bool:
        """Take a run to collect it (a run this session already owns is its own)."""
        owner = self.store.run_owner(run_id)
        return owner == self._owner.token or self.store.claim_run(
            run_id, self._owner.token, previous=owner
        )

    def resume(self) -> list[Result]:
        """Blocking :meth:`aresume`."""
        return self.loop.run(self.aresume())

    async def _resume_one(self, record: RunRecord) -> Result | None:
        started = time.perf_counter()
        try:
            if record.job_id is None:  # the submit's answer was lost: same key, same job
                assert record.client_request_id is not None
                params = await asyncio.to_thread(self.rerun_params, record.run_id)
                result = await self._run_job(
                    record.run_id,
                    record.endpoint,
                    params,
                    record.client_request_id,
                    record.params,
                    fresh=False,
                )
            else:
                job = await self.aclient.get_job(record.job_id, endpoint=record.endpoint)
                job.request = dict(record.params)
                result = await job.wait(on_image=self._saver(record.run_id))
        except NotFoundError:
            error = f"job {record.job_id} is gone from the backend"
            await self.writer.call(
                self.store.finish_run, record.run_id, status="failed", error=error
            )
            return None
        except TRANSIENT_ERRORS as exc:  # still collectable: try again later
            note = f"resume interrupted ({exc})"
            await self.writer.call(self.store.set_note, record.run_id, note)
            return None
        except PhotaError as exc:
            await self.writer.call(
                self.store.finish_run, record.run_id, status="failed", error=str(exc)
            )
            return None
        elapsed = record.elapsed or time.perf_counter() - started
        return await self.writer.call(self._record, record.run_id, result, elapsed)

    # -- profiles, history -----------------------------------------------------------------------

    def profiles(self, refresh: bool = False) -> list[ProfileSummary]:
        """The account's profiles (listed once, then cached)."""
        return self.loop.run(self.aprofiles(refresh))

    async def aprofiles(self, refresh: bool = False) -> list[ProfileSummary]:
        """The account's profiles, awaited on the session's loop (listed once, then cached)."""
        return await self._profile_cache.get(refresh)

    def on_profiles_changed(self, callback: Callable[[list[ProfileSummary]], None]) -> None:
        """Call ``callback`` (on the session's loop) with every freshly listed profile list."""
        self._profile_cache.subscribe(callback)

    def forget_profiles(self) -> None:
        """Drop the cached profile list; listeners get the new one as soon as it is listed."""
        self._profile_cache.forget()

    @property
    def history(self) -> History:
        """Every run of this store: filter, re-open, re-run, DataFrame."""
        return History(self)

    def result(self, run_id: str) -> Result:
        """Re-open a recorded run as a Result (images read from disk)."""
        record = self.store.get(run_id)
        images = [OutputImage(o.index, data=o.read_bytes()) for o in record.outputs]
        return Result(
            endpoint=record.endpoint,
            images=images,
            known_subjects=dict(record.known_subjects),
            request_id=record.request_id,
            request=dict(record.params),
            elapsed=record.elapsed or 0.0,
            cost_estimate=record.cost,
            job_id=record.job_id,
            run_id=record.run_id,
            backend=record.backend,
        )

    def input_image(self, reference: str) -> bytes | None:
        """The bytes of a recorded input (``sha256:<hex>``), if the store has them."""
        path = self.store.input_path(reference)
        return path.read_bytes() if path else None

    def rerun_params(self, run_id: str) -> dict[str, Any]:
        """A recorded run's parameters with its input images read back from the store."""
        record = self.store.get(run_id)
        params = dict(record.params)
        for name in IMAGE_FIELDS:
            if name in params:
                params[name] = _restore(self, params[name])
        return params

    # -- lifetime --------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the loop and the embedded server; close the store."""
        self.watcher.stop()
        with contextlib.suppress(RuntimeError):
            self.loop.run(self._in_flight.settle(SUBMIT_GRACE))  # an accepted job is kept
        with contextlib.suppress(RuntimeError):
            self.loop.run(self.aclient.aclose())
        self.loop.stop()
        self.writer.close()  # every queued write lands before the store closes
        self._release_server()
        self._owner.release()
        self.store.close()

    def _release_server(self) -> None:
        """Stop the embedded server if this session started it; forget it either way."""
        if self.local_server is not None and self._owns_server:
            self.local_server.stop()
        self.local_server = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = f"local stand-in {self.aclient.base_url}" if self.is_local else self.backend
        return f"Session(backend={where!r}, runs={len(self.store)}, spent=${self.spent:.2f})"


def _orphan_outcome(
    record: RunRecord, owner: str | None, live_backends: set[str]
) -> tuple[RunStatus, str] | None:
    """How to end an unfinished run whose process has stopped (None: leave it to resume)."""
    if record.status == "running":
        if owner is None:
            return "failed", LOST_UNKNOWN
        if record.note == SENT_SYNC:
            return "failed", LOST_SYNC
        return "cancelled", NEVER_SENT
    on_embedded = record.backend == LOCAL_BACKEND or record.backend.startswith(LOCAL_BACKEND + ":")
    if on_embedded and record.backend not in live_backends:
        return "failed", SERVER_GONE
    return None


def _restore(session: Session, value: Any) -> Any:
    """Turn recorded ``sha256:`` references back into bytes (URLs stay as they are)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_restore(session, v) for v in value]
    if isinstance(value, str) and value.startswith("sha256:"):
        data = session.input_image(value)
        if data is None:
            raise PhotaError(f"input {value} is no longer in the run store")
        return data
    return value
