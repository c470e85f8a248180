"""Profiles on the embedded server: training lifecycle by the clock, pictures, optional persistence.

A profile walks VALIDATING -> QUEUING -> IN_PROGRESS -> READY over configurable durations (seconds
by default, not Phota's ~20 minutes). Its status is derived from its age, so no background work is
needed. A training set holding no usable picture ends in ERROR.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PIL import Image, ImageOps, ImageStat

from phota_widgets.api.models import ProfileStatus, TrainingTier
from phota_widgets.local.engine import encode

PICTURE_PX = 384
"""Side of the square profile picture."""

MIN_DETAIL = 6.0
"""Luminance spread below which a training image is blank (no subject)."""


@dataclass(frozen=True)
class TrainingDurations:
    """Seconds spent in each training stage."""

    validating: float = 0.5
    queuing: float = 0.5
    in_progress: float = 1.0


@dataclass
class LocalProfile:
    """A profile as the embedded server keeps it."""

    profile_id: str
    tier: str
    tag: str | None
    created_at: float
    usable_images: int
    problem: str | None = None
    deleted: bool = False
    notes: list[str] = field(default_factory=list)


class ProfileRegistry:
    """Every profile of the embedded server's single account."""

    def __init__(self, durations: TrainingDurations, data_dir: Path | None = None) -> None:
        self.durations = durations
        self._dir = data_dir / "profiles" if data_dir else None
        self._profiles: dict[str, LocalProfile] = {}
        self._pictures: dict[str, bytes] = {}
        self._lock = threading.Lock()
        if self._dir:
            self._dir.mkdir(parents=True, exist_ok=True)
            self._load()

    def add(
        self, images: list[Image.Image], tier: TrainingTier, tag: str | None, notes: list[str]
    ) -> LocalProfile:
        """Register a profile trained from decoded images (some may be unusable)."""
        usable = [img for img in images if is_usable(img)]
        problem = None if usable else "no usable picture of a subject in the training images"
        profile = LocalProfile(
            profile_id="p_" + uuid.uuid4().hex[:12],
            tier=tier.value,
            tag=tag,
            created_at=time.time(),
            usable_images=len(usable),
            problem=problem,
            notes=notes,
        )
        with self._lock:
            self._profiles[profile.profile_id] = profile
            if usable:
                self._pictures[profile.profile_id] = make_picture(usable[0])
            self._save(profile)
        return profile

    def get(self, profile_id: str) -> LocalProfile | None:
        """A live profile, or None when unknown or deleted."""
        profile = self._profiles.get(profile_id)
        return None if profile is None or profile.deleted else profile

    def status(self, profile: LocalProfile, now: float | None = None) -> ProfileStatus:
        """Where a profile is in its lifecycle, from its age."""
        age = (now or time.time()) - profile.created_at
        d = self.durations
        if age < d.validating:
            return ProfileStatus.VALIDATING
        if profile.problem:
            return ProfileStatus.ERROR
        if age < d.validating + d.queuing:
            return ProfileStatus.QUEUING
        if age < d.validating + d.queuing + d.in_progress:
            return ProfileStatus.IN_PROGRESS
        return ProfileStatus.READY

    def message(self, profile: LocalProfile, status: ProfileStatus) -> str | None:
        """The status message: the problem for ERROR, else notes (if any)."""
        if status is ProfileStatus.ERROR:
            return profile.problem
        return "; ".join(profile.notes) or None

    def picture(self, profile_id: str) -> bytes | None:
        """The profile's picture (JPEG)."""
        return self._pictures.get(profile_id)

    def portrait(self, profile_id: str) -> Image.Image | None:
        """The profile's picture as an image, for drawing into outputs."""
        data = self.picture(profile_id)
        if data is None:
            return None
        from io import BytesIO

        img = Image.open(BytesIO(data))
        img.load()
        return img

    def listing(self, tag: str | None = None) -> list[LocalProfile]:
        """Live profiles, oldest first, optionally only those with ``tag``."""
        live = [p for p in self._profiles.values() if not p.deleted]
        return [p for p in live if tag is None or p.tag == tag]

    def delete(self, profile_id: str) -> bool:
        """Delete a profile; False when unknown."""
        with self._lock:
            profile = self.get(profile_id)
            if profile is None:
                return False
            profile.deleted = True
            self._pictures.pop(profile_id, None)
            self._save(profile)
            return True

    # -- persistence -----------------------------------------------------------------------------

    def _save(self, profile: LocalProfile) -> None:
        if not self._dir:
            return
        path = self._dir / f"{profile.profile_id}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(profile)))
        tmp.replace(path)
        picture = self._pictures.get(profile.profile_id)
        picture_path = self._dir / f"{profile.profile_id}.jpg"
        if picture is not None and not picture_path.exists():
            picture_path.write_bytes(picture)
        elif profile.deleted:
            picture_path.unlink(missing_ok=True)

    def _load(self) -> None:
        assert self._dir is not None
        for path in sorted(self._dir.glob("*.json")):
            profile = LocalProfile(**json.loads(path.read_text()))
            self._profiles[profile.profile_id] = profile
            picture = path.with_suffix(".jpg")
            if picture.exists():
                self._pictures[profile.profile_id] = picture.read_bytes()


def is_usable(img: Image.Image) -> bool:
    """Whether a training image shows something (not blank, not tiny)."""
    if min(img.size) < 32:
        return False
    grey = img.convert("L").resize((64, 64))
    return bool(ImageStat.Stat(grey).stddev[0] >= MIN_DETAIL)


def make_picture(img: Image.Image) -> bytes:
    """A square, centred JPEG crop of a training image."""
    square = ImageOps.fit(img.convert("RGB"), (PICTURE_PX, PICTURE_PX), Image.Resampling.LANCZOS)
    return encode(square, "jpg")


def ready_portraits(registry: ProfileRegistry, profile_ids: Iterable[str]) -> list[Image.Image]:
    """Pictures of the given (ready) profiles, in order."""
    portraits = []
    for pid in profile_ids:
        img = registry.portrait(pid)
        if img is not None:
            portraits.append(img)
    return portraits
