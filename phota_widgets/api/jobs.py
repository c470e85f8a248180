"""Async jobs: a handle returned at once (202), polled until it ends."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from phota_widgets.api.errors import JobFailedError, RequestTimeoutError
from phota_widgets.api.models import JobBody, JobStatus
from phota_widgets.api.results import OutputImage, Result
from phota_widgets.api.transport import (
    NOTES_HEADER,
    REQUEST_ID_HEADER,
    parse_response,
    split_notes,
)

if TYPE_CHECKING:
    from phota_widgets.api.client import AsyncPhotaClient

DEFAULT_POLL_INTERVAL = 1.0


class AsyncJob:
    """A job started with ``submit``; ``await job.wait()`` gives its Result.

    Attributes:
        job_id: the server's id: record it, and a lost kernel can resume waiting.
        endpoint: the image endpoint it runs.
        client_request_id: the idempotency key it was submitted with.
        request: what was sent (images described, not bytes).
        body: the last state fetched, if any.
    """

    def __init__(
        self,
        client: AsyncPhotaClient,
        job_id: str,
        *,
        endpoint: str | None = None,
        client_request_id: str | None = None,
        request: Mapping[str, Any] | None = None,
        poll_url: str | None = None,
    ) -> None:
        self._client = client
        self.job_id = job_id
        self.endpoint = endpoint
        self.client_request_id = client_request_id
        self.request = dict(request or {})
        self.poll_url = poll_url
        self.body: JobBody | None = None
        self.request_id: str | None = None
        self.notes: list[str] = []
        """The request id of the submit (or of the last poll, for a job fetched by id)."""
        self.submitted_at = time.perf_counter()

    @property
    def status(self) -> JobStatus | None:
        """The last status seen (None before the first refresh)."""
        return self.body.status if self.body else None

    async def refresh(self) -> JobBody:
        """Fetch the job's current state."""
        response = await self._client.transport.request("GET", self._poll_path(), idempotent=True)
        self.body = parse_response(JobBody, response, f"job {self.job_id} status")
        self.request_id = self.request_id or response.headers.get(REQUEST_ID_HEADER)
        self.notes = split_notes(response.headers.get(NOTES_HEADER))
        return self.body

    def _poll_path(self) -> str:
        """The handle's ``poll_url`` when it is on the API's own origin, else ``/jobs/{id}``."""
        if self.poll_url:
            try:
                return self._client.transport.url_for(self.poll_url)
            except ValueError:
                pass  # another host: the key is not sent there
        return f"/jobs/{self.job_id}"

    async def wait(
        self,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float | None = None,
        on_image: Callable[[OutputImage], None] | None = None,
    ) -> Result:
        """Poll until the job ends; download its images at once.

        Raises:
            JobFailedError: the job failed.
            RequestTimeoutError: ``timeout`` seconds passed first (the job goes on).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = min(0.25, poll_interval)
        while True:
            body = await self.refresh()
            if body.status is JobStatus.SUCCEEDED:
                return await self._result(body, on_image)
            if body.status is JobStatus.FAILED:
                error = body.error
                detail = error.detail if error else "no detail given"
                raise JobFailedError(
                    f"job {self.job_id} failed: {detail}",
                    job_id=self.job_id,
                    code=error.code if error else None,
                )
            if deadline is not None and time.monotonic() + delay > deadline:
                raise RequestTimeoutError(
                    f"job {self.job_id} still {body.reported_status or body.status.value} "
                    f"after {timeout}s "
                    "(it goes on; wait again or get_job() later)"
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, poll_interval)

    async def _result(
        self, body: JobBody, on_image: Callable[[OutputImage], None] | None
    ) -> Result:
        if body.result is None:
            raise JobFailedError(
                f"job {self.job_id} succeeded without a result", job_id=self.job_id
            )
        endpoint = self.endpoint or "job"
        result = await self._client.result_from(endpoint, body.result, self.request, on_image)
        result.job_id = self.job_id
        result.request_id = self.request_id
        result.notes = list(self.notes)
        result.elapsed = time.perf_counter() - self.submitted_at
        return result

    def __repr__(self) -> str:
        state = (self.body.reported_status or self.body.status.value) if self.body else "unknown"
        return f"AsyncJob(job_id={self.job_id!r}, endpoint={self.endpoint!r}, status={state!r})"
