"""What the run store hands out: immutable records of runs and their output images."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from phota_widgets.store.errors import StoreRowError

if TYPE_CHECKING:
    from phota_widgets.store.files import FileStore

RunStatus = Literal["running", "submitted", "succeeded", "failed", "cancelled"]
STATUSES: frozenset[str] = frozenset(get_args(RunStatus))


def check_status(status: str) -> None:
    """Refuse a status the store does not know, naming the allowed ones."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {sorted(STATUSES)}, got {status!r}")


OUTPUT_FORMATS: frozenset[str] = frozenset({"jpg", "png", "jpeg", "webp"})
"""File extensions an output image may be stored under."""
_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_sha256(sha256: object, what: str = "output") -> str:
    """A content hash read back from the index: 64 lowercase hex characters, else refused.

    Raises:
        StoreRowError: naming the value, never reading a file for it.
    """
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise StoreRowError(
            f"the run store index gives {what} the hash {str(sha256)[:80]!r}, which is not a "
            "sha256 (64 hex characters): the row was altered, so it is refused, not followed"
        )
    return sha256


def image_name(sha256: str, output_format: str) -> str:
    """The store-relative name of an output image: ``images/<sha[:2]>/<sha>.<ext>``.

    Raises:
        StoreRowError: the hash or format is not one the store writes (a hostile row).
    """
    check_sha256(sha256)
    if output_format not in OUTPUT_FORMATS:
        raise StoreRowError(
            f"the run store index gives an output the format {str(output_format)[:40]!r}; "
            f"formats are {', '.join(sorted(OUTPUT_FORMATS))}: the row is refused"
        )
    return f"images/{sha256[:2]}/{sha256}.{output_format}"


@dataclass(frozen=True)
class OutputRecord:
    """One output image of a run, stored under its content hash.

    ``path`` is a local file: the store's own for a local folder, a cached copy (fetched on
    first use) when the files live in object storage.
    """

    run_id: str
    index: int
    sha256: str
    output_format: str
    width: int
    height: int
    picked: bool
    files: FileStore | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        """The image's name inside the store (``images/ab/ab….jpg``)."""
        return image_name(self.sha256, self.output_format)

    @property
    def path(self) -> Path:
        """A local path to the image bytes (built, and fetched if remote, only when asked)."""
        if self.files is None:
            raise RuntimeError("this OutputRecord is not attached to a run store")
        return self.files.local_path(self.name)

    def read_bytes(self) -> bytes:
        """The image bytes, from the local folder or the local cache of remote files."""
        return self.path.read_bytes()


@dataclass(frozen=True)
class RunRecord:
    """One call to the Phota API: what was asked, what happened, and what came back."""

    run_id: str
    endpoint: str
    params: dict[str, Any]
    status: RunStatus
    created_at: float
    backend: str
    request_id: str | None
    job_id: str | None
    client_request_id: str | None
    elapsed: float | None
    cost: float | None
    error: str | None
    known_subjects: dict[str, int]
    note: str | None
    outputs: tuple[OutputRecord, ...]
    requests: int | None = None
    """HTTP requests the call made (submit, polls, downloads, retries), when recorded."""

    @property
    def prompt(self) -> str | None:
        """The run's prompt, if it had one."""
        value = self.params.get("prompt")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class JudgementRecord:
    """One pairwise judgement of two outputs (ids ``"<run_id>:<index>"``).

    ``winner`` is ``"a"``, ``"b"``, ``"tie"`` or ``"both_bad"``; ``shown_left`` says which of
    the two was shown on the left (None when judged from code, without showing); ``criterion``
    what the pair was judged by (None: overall).
    """

    judgement_id: int
    output_a: str
    output_b: str
    winner: str
    shown_left: str | None
    judge: str
    created_at: float
    sweep_id: str | None
    criterion: str | None = None


@dataclass(frozen=True)
class RatingRecord:
    """One judge's 1-5 stars (and optional note) for one output."""

    output_id: str
    judge: str
    stars: int
    note: str | None
    created_at: float
