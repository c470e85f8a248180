"""Sending one API request: auth, timeouts, retries, and turning error answers into exceptions."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from phota_widgets.api import errors
from phota_widgets.api.models import ErrorBody
from phota_widgets.api.retry import (
    NOT_SENT_ERRORS,
    RetryPolicy,
    parse_retry_after,
    should_retry_exception,
    should_retry_status,
)

logger = logging.getLogger("phota_widgets")

DEFAULT_BASE_URL = "https://api.photalabs.com/v1/phota"
API_KEY_ENV = "PHOTA_API_KEY"
BASE_URL_ENV = "PHOTA_BASE_URL"
SYNC_TIME_LIMIT = 600.0
"""Phota answers a sync request still working after this many seconds with a clean 504."""
DEFAULT_TIMEOUT = httpx.Timeout(SYNC_TIME_LIMIT + 30.0, connect=10.0, pool=10.0)
"""Reads wait past the server's limit, so its clean 504 arrives first; connecting and getting a
free pooled connection should take seconds."""
DEPRECATION_HEADER = "X-Phota-Deprecation-Date"
SYNC_504_HINT = (
    "the synchronous request passed Phota's time limit and the cost was refunded; it was not "
    "retried (that would run the same work again): use submit() (async jobs), which has a "
    "larger time budget"
)
M = TypeVar("M", bound=BaseModel)

REQUEST_ID_HEADER = "X-Request-Id"
NOTES_HEADER = "X-Phota-Local-Notes"


def split_notes(header: str | None) -> list[str]:
    """The notes of an ``X-Phota-Local-Notes`` header (the embedded server's), as a list."""
    return [n.strip() for n in header.split(" | ") if n.strip()] if header else []


def resolve_api_key(api_key: str | None) -> str | None:
    """The key given, else ``PHOTA_API_KEY`` from the environment, else None."""
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
    return key.strip() or None if key else None


def mask(key: str | None) -> str:
    """A key as reprs show it: never its characters."""
    return "None" if not key else "'***'"


class Transport:
    """Holds the connection pool and sends requests with retries.

    Args:
        api_key: the Phota API key (kept private; never in a repr, a log or an error).
        base_url: the API root, e.g. ``https://api.photalabs.com/v1/phota``.
        timeout: seconds, or an ``httpx.Timeout``.
        max_retries: retries of safe failures (see :mod:`phota_widgets.api.retry`).
        http_client: an ``httpx.AsyncClient`` to use (its lifetime is then the caller's).
    """

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = 2,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = _as_timeout(timeout)
        self.retry = RetryPolicy(max_retries=max_retries)
        self._owns_client = http_client is None
        self.http = http_client or httpx.AsyncClient(
            timeout=self.timeout,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
            headers={"User-Agent": "phota-widgets"},
        )

    @property
    def has_key(self) -> bool:
        """Whether a key is set."""
        return bool(self._api_key)

    def copy(self, *, timeout: float | httpx.Timeout | None, max_retries: int | None) -> Transport:
        """A transport sharing this one's pool and key, with other timeout or retries."""
        clone = Transport(
            api_key=self._api_key,
            base_url=self.base_url,
            timeout=timeout if timeout is not None else self.timeout,
            max_retries=self.retry.max_retries if max_retries is None else max_retries,
            http_client=self.http,
        )
        return clone

    async def close(self) -> None:
        """Close the pool (only when this transport created it)."""
        if self._owns_client:
            await self.http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool,
        timeout: float | httpx.Timeout | None = None,
        sync_image: bool = False,
        retry_statuses: bool = True,
    ) -> httpx.Response:
        """Send a request to the API, retrying what is safe, and return a successful answer.

        Args:
            path: a path under the API root, or an absolute URL on the API's own origin.
            idempotent: True when sending it twice cannot pay twice (reads, deletes, async
                submits with a ``client_request_id``); only then are dropped connections retried.
            sync_image: a sync image request: its 504 (time limit, refunded) is not retried.
            retry_statuses: retry 429/5xx answers (off for calls a 5xx may still have done).

        Raises:
            APIError: an error answer (after retries of retryable ones).
            RequestTimeoutError, ConnectionError: no usable answer.
        """
        if not self._api_key:
            raise errors.AuthenticationError(
                f"no Phota API key: pass api_key=... or set {API_KEY_ENV}",
                status_code=403,
            )
        headers = {"X-API-Key": self._api_key}
        url = self.url_for(path)
        chosen_timeout = _as_timeout(timeout) if timeout is not None else self.timeout
        attempt = 0
        while True:
            try:
                response = await self.http.request(
                    method, url, json=json, params=params, headers=headers, timeout=chosen_timeout
                )
            except httpx.TransportError as exc:
                if attempt < self.retry.max_retries and should_retry_exception(
                    exc, idempotent=idempotent
                ):
                    await self._sleep(attempt, None, f"{type(exc).__name__} on {method} {path}")
                    attempt += 1
                    continue
                raise _transport_error(exc, method, path, idempotent) from None
            _note_deprecation(response)
            if response.status_code < 400:
                return response
            await response.aread()
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if sync_image and response.status_code == 504:
                raise _sync_time_limit(response)
            if (
                retry_statuses
                and attempt < self.retry.max_retries
                and should_retry_status(response.status_code)
            ):
                await self._sleep(
                    attempt, retry_after, f"{response.status_code} on {method} {path}"
                )
                attempt += 1
                continue
            raise api_error(response, retry_after)

    def url_for(self, path: str) -> str:
        """The URL of an API path; absolute URLs only on the API's own origin (the key goes there).

        Raises:
            ValueError: an absolute URL on another origin.
        """
        if not path.startswith(("http://", "https://", self._root_path())):
            return f"{self.base_url}/{path.lstrip('/')}"
        target = httpx.URL(self.base_url).join(path)
        root = httpx.URL(self.base_url)
        if (target.scheme, target.host, target.port) != (root.scheme, root.host, root.port):
            raise ValueError(f"{target.host} is not the API's host; the key is not sent there")
        return str(target)

    def _root_path(self) -> str:
        return httpx.URL(self.base_url).path.rstrip("/") + "/"

    async def download(self, url: str) -> bytes:
        """Fetch a signed download link (no API key is sent to it); retried when safe."""
        attempt = 0
        while True:
            try:
                response = await self.http.get(url, timeout=self.timeout)
            except httpx.TransportError as exc:
                if attempt < self.retry.max_retries:
                    await self._sleep(attempt, None, f"{type(exc).__name__} on download")
                    attempt += 1
                    continue
                raise _transport_error(exc, "GET", "download", True) from None
            if response.status_code < 400:
                return response.content
            if attempt < self.retry.max_retries and should_retry_status(response.status_code):
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                await self._sleep(attempt, retry_after, f"{response.status_code} on download")
                attempt += 1
                continue
            raise api_error(response, None)

    async def _sleep(self, attempt: int, retry_after: float | None, why: str) -> None:
        delay = self.retry.delay(attempt, retry_after)
        logger.info("retrying after %s in %.2fs (retry %d)", why, delay, attempt + 1)
        await asyncio.sleep(delay)


_DEPRECATIONS_SEEN: set[str] = set()


def _note_deprecation(response: httpx.Response) -> None:
    """Log Phota's deprecation date once per value (not on every answer)."""
    value = response.headers.get(DEPRECATION_HEADER)
    if value and value not in _DEPRECATIONS_SEEN:
        _DEPRECATIONS_SEEN.add(value)
        logger.warning(
            "Phota says %s %s is deprecated (%s: %s); see Phota's changelog",
            response.request.method,
            response.request.url.path,
            DEPRECATION_HEADER,
            value,
        )


def _sync_time_limit(response: httpx.Response) -> errors.SyncTimeLimitError:
    plain = api_error(response, None)
    said = f" ({errors.detail_text(plain.detail)})" if plain.detail else ""
    return errors.SyncTimeLimitError(
        f"Phota API 504{said}: {SYNC_504_HINT}",
        status_code=504,
        request_id=plain.request_id,
        detail=plain.detail,
        code=plain.code,
    )


def parse_response(model: type[M], response: httpx.Response, what: str) -> M:
    """Read a success answer's body as ``model``, or raise UnexpectedResponseError (raw body kept).

    Args:
        what: what the answer is, for the message (e.g. ``"job status"``).
    """
    request_id = response.headers.get(REQUEST_ID_HEADER)
    try:
        return model.model_validate(response.json())
    except (ValueError, ValidationError) as exc:
        problem = validation_summary(exc) if isinstance(exc, ValidationError) else "not JSON"
        raise errors.UnexpectedResponseError(
            f"could not read the {what} answer ({problem}); the raw body is in .body",
            body=response.text[:4000],
            request_id=request_id,
        ) from None


def validation_summary(exc: ValidationError) -> str:
    """The first few problems of a validation error, briefly."""
    parts = [
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:3]
    ]
    return "; ".join(parts)


def api_error(response: httpx.Response, retry_after: float | None) -> errors.APIError:
    """The exception for an error answer, with its status, request id and detail."""
    body: ErrorBody | None = None
    try:
        payload = response.json()
        if isinstance(payload, dict):
            body = ErrorBody.model_validate(payload)
    except (ValueError, ValidationError):
        body = None
    detail: Any = body.detail if body else (response.text[:500] or None)
    request_id = (body.request_id if body else None) or response.headers.get(REQUEST_ID_HEADER)
    return errors.error_for_status(
        response.status_code,
        detail=detail,
        code=body.error_code if body else None,
        request_id=request_id,
        retry_after=retry_after,
    )


def _transport_error(
    exc: httpx.TransportError, method: str, path: str, idempotent: bool
) -> errors.PhotaError:
    where = f"{method} {path}"
    if isinstance(exc, NOT_SENT_ERRORS):
        why = _first_cause(exc)
        return errors.NotSentError(
            f"not sent (nothing was charged): no connection for {where} ({why})"
        )
    if isinstance(exc, httpx.TimeoutException):
        return errors.RequestTimeoutError(f"no answer in time to {where} ({type(exc).__name__})")
    hint = ""
    if not idempotent:
        hint = (
            "; the request may have started paid work, so it was not retried "
            "(use submit() for work that must survive dropped connections)"
        )
    return errors.ConnectionError(f"connection failed on {where}: {type(exc).__name__}{hint}")


def _first_cause(exc: BaseException) -> str:
    """The plainest reason in an error's chain (``Connection refused`` over httpx's wording)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno:
            return os.strerror(seen.errno)
        seen = seen.__cause__ or seen.__context__
    return str(exc) or type(exc).__name__


def _as_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(timeout, connect=min(10.0, timeout))
