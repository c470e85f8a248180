"""``PhotaClient``: the same methods as ``AsyncPhotaClient``, blocking.

Each call runs its coroutine on a background event loop (see :mod:`phota_widgets.api.loop`), so it
works from a plain script and from inside a Jupyter cell, whose own loop is already running, with no
patching of asyncio.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx

from phota_widgets.api.client import AsyncPhotaClient
from phota_widgets.api.jobs import AsyncJob
from phota_widgets.api.loop import BackgroundLoop, shared_loop
from phota_widgets.api.models import JobBody, JobStatus
from phota_widgets.api.prices import DEFAULT_PRICE_TABLE, PriceTable
from phota_widgets.api.profiles import AsyncProfiles
from phota_widgets.api.results import Result

P = ParamSpec("P")
R = TypeVar("R")
A = TypeVar("A")


def _blocking(
    method: Callable[Concatenate[A, P], Coroutine[Any, Any, R]], target: str
) -> Callable[Concatenate[Any, P], R]:
    """A blocking method calling ``method`` on the object at ``self.<target>`` via the loop."""

    def call(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._loop.run(method(getattr(self, target), *args, **kwargs))  # type: ignore[no-any-return]

    functools.update_wrapper(call, method)
    return call


class Job:
    """A job started with ``PhotaClient.submit``; ``job.wait()`` blocks until its Result."""

    def __init__(self, job: AsyncJob, loop: BackgroundLoop) -> None:
        self._job = job
        self._loop = loop

    @property
    def job_id(self) -> str:
        """The server's job id."""
        return self._job.job_id

    @property
    def endpoint(self) -> str | None:
        """The image endpoint it runs."""
        return self._job.endpoint

    @property
    def client_request_id(self) -> str | None:
        """The idempotency key it was submitted with."""
        return self._job.client_request_id

    @property
    def status(self) -> JobStatus | None:
        """The last status seen."""
        return self._job.status

    @property
    def body(self) -> JobBody | None:
        """The last state fetched."""
        return self._job.body

    refresh = _blocking(AsyncJob.refresh, "_job")
    wait = _blocking(AsyncJob.wait, "_job")

    def __repr__(self) -> str:
        return repr(self._job).replace("AsyncJob", "Job", 1)


class Profiles:
    """The ``/profiles`` endpoints, blocking (``client.profiles``)."""

    def __init__(self, profiles: AsyncProfiles, loop: BackgroundLoop) -> None:
        self._profiles = profiles
        self._loop = loop

    add = _blocking(AsyncProfiles.add, "_profiles")
    list = _blocking(AsyncProfiles.list, "_profiles")
    status = _blocking(AsyncProfiles.status, "_profiles")
    picture = _blocking(AsyncProfiles.picture, "_profiles")
    delete = _blocking(AsyncProfiles.delete, "_profiles")
    wait_ready = _blocking(AsyncProfiles.wait_ready, "_profiles")


class PhotaClient:
    """Blocking client for the Phota API: ``AsyncPhotaClient``'s methods, without ``await``.

    Args:
        api_key: the key; defaults to ``PHOTA_API_KEY``. Kept private: never shown or logged.
        base_url: the API root; defaults to ``PHOTA_BASE_URL`` or Phota's production URL.
        timeout: seconds or an ``httpx.Timeout`` (default: 10 s connect, 600 s read).
        max_retries: retries of failures that are safe to repeat.
        prices: the price table for cost estimates.
        inline_training_images: send local training images as ``data:`` URIs (embedded server).
        async_client: wrap this async client instead of making one (a Session does this).
        loop: the background loop to run on (default: one shared by the process).
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = 2,
        prices: PriceTable = DEFAULT_PRICE_TABLE,
        inline_training_images: bool = False,
        async_client: AsyncPhotaClient | None = None,
        loop: BackgroundLoop | None = None,
    ) -> None:
        self._loop = loop or shared_loop()
        self._owns_async = async_client is None
        self._async = async_client or AsyncPhotaClient(
            api_key,
            base_url,
            timeout=timeout,
            max_retries=max_retries,
            prices=prices,
            inline_training_images=inline_training_images,
        )
        self.profiles = Profiles(self._async.profiles, self._loop)

    @property
    def aclient(self) -> AsyncPhotaClient:
        """The async client underneath (await its methods on ``loop``)."""
        return self._async

    @property
    def loop(self) -> BackgroundLoop:
        """The background loop calls run on."""
        return self._loop

    @property
    def base_url(self) -> str:
        """The API root requests go to."""
        return self._async.base_url

    @property
    def known_profile_ids(self) -> frozenset[str] | None:
        """Profile ids known to exist (after ``profiles.list()``)."""
        return self._async.known_profile_ids

    def with_options(
        self, *, timeout: float | httpx.Timeout | None = None, max_retries: int | None = None
    ) -> PhotaClient:
        """A client sharing this one's connections and key, with another timeout or retries."""
        clone = self._async.with_options(timeout=timeout, max_retries=max_retries)
        return PhotaClient(async_client=clone, loop=self._loop)

    generate = _blocking(AsyncPhotaClient.generate, "_async")
    edit = _blocking(AsyncPhotaClient.edit, "_async")
    enhance = _blocking(AsyncPhotaClient.enhance, "_async")
    remix = _blocking(AsyncPhotaClient.remix, "_async")
    run = _blocking(AsyncPhotaClient.run, "_async")
    webhook_secret = _blocking(AsyncPhotaClient.webhook_secret, "_async")

    def submit(
        self,
        endpoint: str,
        *,
        callback_url: str | None = None,
        client_request_id: str | None = None,
        **params: Any,
    ) -> Job:
        """Start an async job and return its handle at once (see ``AsyncPhotaClient.submit``)."""
        job = self._loop.run(
            self._async.submit(
                endpoint, callback_url=callback_url, client_request_id=client_request_id, **params
            )
        )
        return Job(job, self._loop)

    def get_job(self, job_id: str, *, endpoint: str | None = None) -> Job:
        """A handle on an existing job, with its current state fetched."""
        return Job(self._loop.run(self._async.get_job(job_id, endpoint=endpoint)), self._loop)

    def close(self) -> None:
        """Close the connection pool (when this client made it)."""
        if self._owns_async:
            self._loop.run(self._async.aclose())

    def __enter__(self) -> PhotaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return repr(self._async).replace("AsyncPhotaClient", "PhotaClient", 1)


__all__ = ["Job", "PhotaClient", "Profiles", "Result"]
