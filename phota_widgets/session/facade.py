"""``Session``: the one public facade over the session's parts, read as a table of contents.

All API work runs on the session's own background event loop (a daemon thread), so a widget's Run
click returns at once, other cells run meanwhile, and the blocking client works inside Jupyter.
Every run is recorded in the run store as it happens, its writes made (and awaited) on the
session's store thread. Each job has a part of its own, in this package:

- :mod:`.backend`: the embedded server or a key (``use_key``, ``use_local``, the notice);
- :mod:`.lifecycle`: a run's submit, poll, record and cancel (``arun``);
- :mod:`.recovery`: orphans, owners (:mod:`.owners`) and resume;
- :mod:`.claimed`: shared work run once across processes (``arun_once``);
- :mod:`.concurrency`: the adaptive limit on calls at once;
- :mod:`.profile_cache`, :mod:`.history`: the profile list, the runs recorded;
- :mod:`.store_writer`, :mod:`.watch`: the store thread, changes made by others;
- :mod:`.sweeps`: the hand-over to prompt experiments.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from phota_widgets.api.loop import BackgroundLoop
from phota_widgets.api.models import ProfileSummary
from phota_widgets.api.prices import DEFAULT_PRICE_TABLE, PriceTable
from phota_widgets.api.results import Result
from phota_widgets.api.sync import PhotaClient
from phota_widgets.api.transport import resolve_api_key
from phota_widgets.session.backend import LOCAL_BACKEND, Backend
from phota_widgets.session.claimed import arun_once, holder_id
from phota_widgets.session.concurrency import (
    DEFAULT_START,
    keep_learned,
    session_limit,
    start_learned,
)
from phota_widgets.session.history import History, input_bytes, recorded_params, recorded_result
from phota_widgets.session.lifecycle import SUBMIT_GRACE, RunLifecycle
from phota_widgets.session.owners import OwnerLock
from phota_widgets.session.profile_cache import ProfileCache
from phota_widgets.session.recovery import Recovery
from phota_widgets.session.store_writer import StoreWriter
from phota_widgets.session.sweeps import SweepMethods
from phota_widgets.session.watch import StoreWatcher
from phota_widgets.store import RunRecord, RunStore, StoreLocation

if TYPE_CHECKING:
    from phota_widgets.api.client import AsyncPhotaClient
    from phota_widgets.local.process import ServerProcess
    from phota_widgets.local.server import LocalServer

__all__ = ["Session"]


class Session(SweepMethods):
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
        adaptive: find the API's capacity by itself (see
            :mod:`phota_widgets.session.concurrency`): start at 4, grow while calls succeed,
            cut on a 429 or a rise in latency. False keeps ``max_concurrency`` as a fixed limit.
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

    aclient: AsyncPhotaClient
    """The async client in use (replaced when the backend is switched)."""
    client: PhotaClient
    """The blocking client over ``aclient``, through the session's loop."""

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
        self._concurrency = session_limit(max_concurrency, adaptive)
        self.output_dir = Path(output_dir)
        self.defaults: dict[str, Any] = dict(defaults or {})
        self.prices = prices
        self.use_jobs = use_jobs
        self.max_concurrency = self._concurrency.ceiling or DEFAULT_START  # the ceiling is set
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
        self._profile_cache = ProfileCache(lambda: self.aclient.profiles.list(), self.loop)
        self.resuming: concurrent.futures.Future[list[Result]] | None = None
        self._backend = Backend(self, self._concurrency, self._profile_cache, announce=announce)
        self._backend.connect(resolve_api_key(api_key), base_url, local_server)
        self._owner = OwnerLock(self.store.root, self.backend_id, read_only=self.store.read_only)
        self._start_concurrency()
        self._runs = RunLifecycle(self, self._concurrency, self._owner)
        self._recovery = Recovery(self, self._runs, self._owner)
        if not self.store.read_only:  # a read-only store is browsed, never settled or resumed
            self.settle_orphans()
            if resume and self._recovery.resumable():
                self.resuming = self.loop.submit(self.aresume())

    # -- backend (see backend.py) ----------------------------------------------------------------

    @property
    def local_server(self) -> LocalServer | ServerProcess | None:
        """The embedded server in use (None with the real API)."""
        return self._backend.server

    @property
    def notice(self) -> str | None:
        """What a user should know about the backend: set when the embedded server answers."""
        return self._backend.notice

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
        return self._backend.backend_id

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
        learned, was = self._concurrency.worth_keeping(), self.backend
        self._backend.use_key(api_key, base_url, check=check, owner=self._owner)
        keep_learned(self.store, was, learned)
        self._start_concurrency()

    def use_local(self) -> None:
        """Switch back to an embedded local stand-in server (offline; no key is kept).

        Does nothing when the session already uses one.
        """
        learned, was = self._concurrency.worth_keeping(), self.backend
        self._backend.use_local(owner=self._owner)
        keep_learned(self.store, was, learned)
        self._start_concurrency()

    # -- running (see lifecycle.py, claimed.py) --------------------------------------------------

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
        return await self._runs.arun(endpoint, on_recorded=on_recorded, **params)

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

    @property
    def concurrency(self) -> int:
        """Requests the session lets run at once now (adaptive: it follows the API's limits)."""
        return self._concurrency.current

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
        submitted job collected without paying twice. See :mod:`phota_widgets.session.claimed`.
        """
        return await arun_once(self, key, endpoint, on_recorded=on_recorded, **params)

    def run_once(self, key: str, endpoint: str, **params: Any) -> Result:
        """Blocking :meth:`arun_once`."""
        return self.loop.run(self.arun_once(key, endpoint, **params))

    def watch(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` (on the session's loop) whenever the run store changes, also by
        another process or machine; polls every ``PHOTA_WATCH_SECONDS`` (5 s) while anyone
        listens. Returns the function that stops listening."""
        return self.watcher.subscribe(listener)

    # -- recovery (see recovery.py) --------------------------------------------------------------

    async def collect_run(self, record: RunRecord) -> Result | None:
        """Collect one submitted run (same key or job id: nothing paid twice); None if not."""
        return await self._recovery.collect(record)

    def settle_orphans(self) -> int:
        """Honestly end the unfinished runs of processes that have stopped; returns how many.

        A run that never got its turn is ``cancelled`` (nothing was sent); one whose process
        died mid-way through a synchronous request is ``failed`` (no job to collect); one
        accepted by an embedded server that has stopped is ``failed`` (its jobs ended with it).
        Submitted jobs on a live backend are left for :meth:`resume`; the runs of a live
        process (another kernel on the same folder) are never touched.
        """
        return self._recovery.settle_orphans()

    async def aresume(self) -> list[Result]:
        """Collect every job submitted but never collected (e.g. before a kernel restart).

        Only runs of this session's backend whose process has stopped (or this session's own,
        when no request of it is still waiting on them) are taken; each is claimed first, so
        two sessions never collect the same run. On a shared store, runs that another live
        process holds a claim on are left to it.
        """
        return await self._recovery.aresume()

    def resume(self) -> list[Result]:
        """Blocking :meth:`aresume`."""
        return self.loop.run(self.aresume())

    # -- profiles, history (see profile_cache.py, history.py) ------------------------------------

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
        return recorded_result(self.store, run_id)

    def input_image(self, reference: str) -> bytes | None:
        """The bytes of a recorded input (``sha256:<hex>``), if the store has them."""
        return input_bytes(self.store, reference)

    def rerun_params(self, run_id: str) -> dict[str, Any]:
        """A recorded run's parameters with its input images read back from the store."""
        return recorded_params(self.store, run_id)

    # -- lifetime --------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the loop and the embedded server; close the store."""
        self.watcher.stop()
        with contextlib.suppress(RuntimeError):
            self.loop.run(self._runs.in_flight.settle(SUBMIT_GRACE))  # an accepted job is kept
        keep_learned(self.store, self.backend, self._concurrency.worth_keeping())
        with contextlib.suppress(RuntimeError):
            self.loop.run(self.aclient.aclose())
        self.loop.stop()
        self.writer.close()  # every queued write lands before the store closes
        self._backend.release_server()
        self._owner.release()
        self.store.close()

    def _start_concurrency(self) -> None:
        self.concurrency_note = start_learned(self._concurrency, self.store, self.backend)
        """Where the adaptive limit started, and why (also logged)."""

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = f"local stand-in {self.aclient.base_url}" if self.is_local else self.backend
        return f"Session(backend={where!r}, runs={len(self.store)}, spent=${self.spent:.2f})"
