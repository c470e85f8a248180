"""What the Profiles panel's Create sends: the training images given, and the tier's rule.

Phota trains from public image URLs only; the embedded offline server also takes uploaded photos
and a folder on this machine. The client checks the counts and kinds before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from phota_widgets.api.errors import InvalidRequestError
from phota_widgets.api.images import ImageInput
from phota_widgets.api.models import TRAINING_IMAGE_COUNTS, TrainingTier
from phota_widgets.widgets.upload import UploadedFile

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"})
"""Files a training folder contributes."""


@dataclass(frozen=True)
class TrainingInput:
    """What Create read from the source widgets: sent as given, cleared only if left as sent."""

    urls: str
    uploads: tuple[UploadedFile, ...]
    folder: str


def tier_rule(tier: str) -> str:
    """The image-count rule of a training tier, e.g. ``"fast: 5–10 images"``."""
    low, high = TRAINING_IMAGE_COUNTS[TrainingTier(tier)]
    return f"{tier}: {low}–{high} images"


def training_sources(given: TrainingInput, local: bool) -> list[ImageInput]:
    """The training images given: URL lines, plus uploads and a folder on the local server.

    Raises:
        InvalidRequestError: the folder is missing or holds no photos.
    """
    sources: list[ImageInput] = [line.strip() for line in given.urls.splitlines() if line.strip()]
    if not local:
        return sources  # the client refuses anything but URLs for Phota
    sources += [file.data for file in given.uploads]
    folder = given.folder.strip()
    if folder:
        path = Path(folder).expanduser()
        if not path.is_dir():
            raise InvalidRequestError(f"folder {folder!r} does not exist")
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not found:
            raise InvalidRequestError(f"folder {folder!r} holds no JPEG/PNG/WebP/HEIC photos")
        sources += found
    return sources


def rule_html(tier: str) -> str:
    """The tier's rule as a grey line."""
    return f'<span style="color:#555">{escape(tier_rule(tier))}</span>'


def refusal_html(text: str) -> str:
    """A refused upload, in red."""
    return f'<span style="color:#b00020">{escape(text)}</span>'
