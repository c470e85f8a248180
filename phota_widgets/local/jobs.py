"""Async jobs on the embedded server: idempotent submits, expiring downloads, signed callbacks."""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from phota_widgets.api.models import ImageResponse, JobBody, JobError, JobStatus, KnownSubjects
from phota_widgets.api.webhooks import SIGNATURE_HEADER, sign_webhook

logger = logging.getLogger("phota_widgets.local")

DOWNLOAD_TTL = 24 * 3600.0
"""Seconds a download link stays valid (Phota: 24 h)."""
DOWNLOAD_MAX_BYTES = 256 * 1024 * 1024
"""Bytes of output files kept at most; past that the oldest links expire early."""


class WorkFailed(Exception):
    """Image work that failed with an API error (status, detail, code)."""

    def __init__(self, status_code: int, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.code = code


@dataclass(frozen=True)
class Rendered:
    """Output of image work: encoded images, recognised subjects, notes."""

    images: list[bytes]
    output_format: str
    known_subjects: dict[str, int]
    notes: list[str]


@dataclass
class _Download:
    data: bytes
    media_type: str
    expires_at: float


class DownloadStore:
    """Output files behind unguessable, expiring links, bounded in time and in bytes.

    Args:
        ttl: seconds a link stays valid.
        max_bytes: bytes kept at most; the oldest files go first when a new one needs room.
    """

    def __init__(self, ttl: float = DOWNLOAD_TTL, max_bytes: int = DOWNLOAD_MAX_BYTES) -> None:
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._files: dict[str, _Download] = {}  # insertion order: oldest first
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Bytes held now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._files)

    def put(self, data: bytes, output_format: str) -> str:
        """Keep a file; returns its token (with extension)."""
        token = f"{secrets.token_urlsafe(24)}.{output_format}"
        media = "image/png" if output_format == "png" else "image/jpeg"
        with self._lock:
            self._purge()
            while self._files and self._bytes + len(data) > self.max_bytes:
                self._drop(next(iter(self._files)))
            self._files[token] = _Download(data, media, time.time() + self.ttl)
            self._bytes += len(data)
        return token

    def get(self, token: str) -> tuple[bytes, str] | None:
        """A file's bytes and media type, or None when unknown or expired."""
        with self._lock:
            item = self._files.get(token)
            if item is None or item.expires_at < time.time():
                return None
            return item.data, item.media_type

    def _purge(self) -> None:
        now = time.time()
        for token in [t for t, d in self._files.items() if d.expires_at < now]:
            self._drop(token)

    def _drop(self, token: str) -> None:
        self._bytes -= len(self._files.pop(token).data)


@dataclass
class LocalJob:
    """One job and its state."""

    job_id: str
    status: JobStatus
    result: ImageResponse | None = None
    error: JobError | None = None
    notes: list[str] = field(default_factory=list)

    def body(self) -> JobBody:
        """The job as ``GET /jobs/{id}`` returns it."""
        return JobBody(job_id=self.job_id, status=self.status, result=self.result, error=self.error)


Work = Callable[[], Awaitable[Rendered]]


class JobRegistry:
    """Jobs of the embedded server, keyed by id and by ``client_request_id``."""

    def __init__(self, downloads: DownloadStore, secret: str, queue_delay: float = 0.0) -> None:
        self.downloads = downloads
        self.secret = secret
        self.queue_delay = queue_delay
        self._jobs: dict[str, LocalJob] = {}
        self._by_client_id: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        """How many jobs were started (each one paid for): a test's count of charges."""
        return len(self._jobs)

    def by_client_request_id(self, client_request_id: str) -> LocalJob | None:
        """The job started for this ``client_request_id``, if any."""
        job_id = self._by_client_id.get(client_request_id)
        return None if job_id is None else self._jobs.get(job_id)

    def get(self, job_id: str) -> LocalJob | None:
        """A job by id."""
        return self._jobs.get(job_id)

    def accepted(self, client_request_id: str | None) -> bool:
        """Whether a job was already accepted under this ``client_request_id``."""
        return bool(client_request_id) and client_request_id in self._by_client_id

    def submit(
        self,
        work: Work,
        *,
        client_request_id: str | None,
        download_base: str,
        callback_url: str | None,
    ) -> LocalJob:
        """Start a job, or return the one already started with the same ``client_request_id``."""
        if client_request_id and client_request_id in self._by_client_id:
            return self._jobs[self._by_client_id[client_request_id]]
        job = LocalJob(job_id="job_" + uuid.uuid4().hex[:16], status=JobStatus.QUEUED)
        self._jobs[job.job_id] = job
        if client_request_id:
            self._by_client_id[client_request_id] = job.job_id
        task = asyncio.get_running_loop().create_task(
            self._run(job, work, download_base, callback_url)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def _run(
        self, job: LocalJob, work: Work, download_base: str, callback_url: str | None
    ) -> None:
        await asyncio.sleep(self.queue_delay)
        job.status = JobStatus.RUNNING
        try:
            rendered = await work()
        except WorkFailed as exc:
            job.error = JobError(detail=exc.detail, code=exc.code)
            job.status = JobStatus.FAILED
        except Exception as exc:  # a job must end, whatever broke
            logger.exception("local job %s failed", job.job_id)
            job.error = JobError(detail=f"internal error: {type(exc).__name__}", code="INTERNAL")
            job.status = JobStatus.FAILED
        else:
            urls = [
                f"{download_base}/{self.downloads.put(data, rendered.output_format)}"
                for data in rendered.images
            ]
            job.notes = rendered.notes
            job.result = ImageResponse(
                images=[],
                download_urls=urls,
                known_subjects=KnownSubjects(counts=rendered.known_subjects),
            )
            job.status = JobStatus.SUCCEEDED
        if callback_url:
            await self._callback(job, callback_url)

    async def _callback(self, job: LocalJob, url: str) -> None:
        """Best-effort signed POST of the job body."""
        body = job.body().model_dump_json().encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign_webhook(body, self.secret),
        }
        try:
            async with httpx.AsyncClient(timeout=10.0) as client:
                await client.post(url, content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            logger.warning("callback for %s to %s failed: %s", job.job_id, url, exc)
