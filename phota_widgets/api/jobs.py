"""Async jobs: a handle returned at once (202), polled until it ends."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from phota_widgets.api.errors import JobFailedError, RequestTimeoutError
from phota_widgets.api.models import JobBody, JobStatus
from phota_widgets.api.polling import poll_times, settings_key
from phota_widgets.api.results import Result
from phota_widgets.api.transport import (
    NOTES_HEADER,
    REQUEST_ID_HEADER,
    parse_response,
    split_notes,
)

if TYPE_CHECKING:
    from phota_widgets.api.client import AsyncPhotaClient, ImageCallback

DEFAULT_POLL_INTERVAL = 5.0
"""The longest pause between two polls, seconds (the schedule is usually much closer)."""


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
        submitted: bool = False,
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
        self._watched_from_submit = submitted

    @property
    def status(self) -> JobStatus | None:
        """The last status seen (None before the first refresh)."""
        return self.body.status if self.body else None

    @property
    def poll_path(self) -> str:
        """Where to poll: the handle's ``poll_url`` when it lies under the API root, else
        ``/jobs/{id}`` (the key is never sent anywhere else)."""
        url = self.poll_url
        base = self._client.base_url
        if url:
            if url.startswith(base + "/"):
                return url[len(base) :]
            base_path = urlsplit(base).path.rstrip("/")
            if url.startswith("/") and base_path and url.startswith(base_path + "/"):
                return url[len(base_path) :]
        return f"/jobs/{self.job_id}"

    async def refresh(self) -> JobBody:
        """Fetch the job's current state."""
        response = await self._client.transport.request("GET", self.poll_path, idempotent=True)
        self.body = parse_response(JobBody, response, f"job {self.job_id} status")
        self.request_id = self.request_id or response.headers.get(REQUEST_ID_HEADER)
        self.notes = split_notes(response.headers.get(NOTES_HEADER))
        return self.body

    async def wait(
        self,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float | None = None,
        on_image: ImageCallback | None = None,
    ) -> Result:
        """Poll until the job ends; download its images at once.

        Polls follow the expected duration of this kind of job (see ``api/polling.py``): a
        sleep until it is likely done (one quick check while that is unknown), then close polls.

        Args:
            poll_interval: the longest pause between two polls, seconds.
            timeout: give up waiting after this many seconds.
            on_image: called with each output as soon as it has been downloaded.

        Raises:
            JobFailedError: the job failed.
            RequestTimeoutError: ``timeout`` seconds passed first (the job goes on).
        """
        body = await self.finished(poll_interval=poll_interval, timeout=timeout)
        return await self.collect(body, on_image)

    async def finished(
        self, *, poll_interval: float = DEFAULT_POLL_INTERVAL, timeout: float | None = None
    ) -> JobBody:
        """Poll until the job has succeeded (its images not yet downloaded); see :meth:`wait`.

        Raises:
            JobFailedError: the job failed.
            RequestTimeoutError: ``timeout`` seconds passed first (the job goes on).
        """
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        started = time.perf_counter()
        deadline = None if timeout is None else started + timeout
        kind = settings_key(self.endpoint, self.request)
        durations = self._client.durations
        # a job watched from its submit sleeps until it is likely done; one found later (a
        # resume) is checked at once: it may have ended long ago
        likely = durations.likely_done(kind) if self._watched_from_submit else None
        likely = likely * durations.patience if likely is not None else None
        scouting = likely is None and self._watched_from_submit
        scout = durations.scout(kind) if scouting else True  # one job of a new kind learns
        try:
            return await self._poll(kind, started, deadline, poll_interval, likely, scout)
        finally:
            if scouting:
                durations.scouted(kind)

    async def _poll(
        self,
        kind: str,
        started: float,
        deadline: float | None,
        poll_interval: float,
        likely: float | None,
        scout: bool,
    ) -> JobBody:
        """Poll on the schedule until the job ends (see :meth:`finished`)."""
        durations = self._client.durations
        watched = self._watched_from_submit
        schedule = poll_times(likely, poll_interval, scout=scout)
        first = next(schedule)
        # Learn only from waits that saw the job end: watched from its submit, and either on
        # time for the first poll or having seen the job unfinished (not a late wait()).
        learn = watched and started - self.submitted_at <= first
        on_schedule = learn and likely is not None  # its first poll is at the learned wake
        running_at: float | None = None  # when a poll last saw it unfinished (after submit)
        await asyncio.sleep(max(0.0, self.submitted_at + first - time.perf_counter()))
        while True:
            polled_at = time.perf_counter()
            body = await self.refresh()
            if body.status is JobStatus.SUCCEEDED:
                if learn:
                    done_at = polled_at - self.submitted_at
                    durations.learn(
                        kind,
                        running_at=running_at,
                        done_at=done_at,
                        on_schedule=on_schedule,
                        wake=likely if on_schedule else None,
                    )
                return body
            learn = learn or watched
            running_at = polled_at - self.submitted_at
            if body.status is JobStatus.FAILED:
                error = body.error
                detail = error.detail if error else "no detail given"
                raise JobFailedError(
                    f"job {self.job_id} failed: {detail}",
                    job_id=self.job_id,
                    code=error.code if error else None,
                )
            now = time.perf_counter()
            if likely is None and watched:
                likely = durations.likely_done(kind)  # another job of its kind just ended
                if likely is not None:
                    schedule = poll_times(likely, poll_interval)
            wake = self.submitted_at + next(schedule)
            while wake < now:  # the schedule fell behind (slow polls): catch up
                wake = self.submitted_at + next(schedule)
            if deadline is not None and wake > deadline:
                raise RequestTimeoutError(
                    f"job {self.job_id} still {body.reported_status or body.status.value} "
                    f"after {deadline - started:g}s "
                    "(it goes on; wait again or get_job() later)"
                )
            if likely is None and watched and await durations.until_learned(kind, wake - now):
                # another job of its kind just learned how long they take: follow it at once
                likely = durations.likely_done(kind)
                schedule = poll_times(likely, poll_interval)
                wake = max(self.submitted_at + next(schedule), time.perf_counter())
                wake = min(wake, deadline) if deadline is not None else wake
            await asyncio.sleep(max(0.0, wake - time.perf_counter()))

    async def collect(self, body: JobBody, on_image: ImageCallback | None = None) -> Result:
        """Download a succeeded job's images (the links expire: do it at once)."""
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
