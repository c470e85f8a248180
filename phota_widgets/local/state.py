"""What the embedded server's app holds (:class:`LocalState`) and how it refuses
(:class:`APIFailure`, answered in the API's error shape)."""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

from phota_widgets.local.holds import SubmitHolds
from phota_widgets.local.jobs import DownloadStore, JobRegistry
from phota_widgets.local.limits import Limiter
from phota_widgets.local.profiles import ProfileRegistry


@dataclass
class LocalState:
    """Everything the app holds: the account's key and secret, profiles, jobs, downloads."""

    api_key: str = field(repr=False)
    profiles: ProfileRegistry
    downloads: DownloadStore = field(default_factory=DownloadStore)
    webhook_secret: str = field(default_factory=lambda: "whsec_" + uuid.uuid4().hex, repr=False)
    sync_time_limit: float | None = None
    queue_delay: float = 0.0
    processing: float = 0.0
    """Seconds a job takes at least (the model's time), sync and async alike."""
    render_slots: int = field(default_factory=lambda: os.cpu_count() or 1)
    """Image work running at once (more would only share the cores and hold more memory)."""
    image_hosts: set[tuple[str, int]] = field(default_factory=set)
    """Other (host, port) origins image URLs may be fetched from (tests' image hosts)."""
    holds: SubmitHolds = field(default_factory=SubmitHolds)
    """Submits to hold at chosen points (tests cancel them there)."""
    limiter: Limiter | None = None
    """Per-key rate limits (jobs at once, requests per second), answered with 429s."""
    jobs: JobRegistry = field(init=False)
    _slots: asyncio.Semaphore | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.jobs = JobRegistry(self.downloads, self.webhook_secret, self.queue_delay)

    @property
    def slots(self) -> asyncio.Semaphore:
        """The render slots (made on the server's loop at first use)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.render_slots)
        return self._slots


class APIFailure(Exception):
    """An error answer: status, detail and (for 400s) a code."""

    def __init__(
        self,
        status_code: int,
        detail: Any,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(str(detail))
        self.status_code = status_code
        self.detail = detail
        self.code = code
        self.headers = headers or {}
