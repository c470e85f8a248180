"""The run store's images: outputs under their sha256 (written once), inputs by content, and
cached JPEG thumbnails."""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import Connection, and_, insert, select, update

from phota_widgets.api.thumbnails import THUMBNAIL_MAX_PX, thumbnail_jpeg
from phota_widgets.files import atomic_write
from phota_widgets.store.base import StoreBase, recount
from phota_widgets.store.failures import ride_out
from phota_widgets.store.files import FileStore
from phota_widgets.store.records import OUTPUT_FORMATS, OutputRecord, check_sha256, image_name
from phota_widgets.store.schema import outputs, runs

_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_EXT_RE = re.compile(r"^[a-z0-9]{1,8}$")


@ride_out
class Outputs(StoreBase):
    """Output and input images, and thumbnails (part of ``RunStore``)."""

    def add_output(self, run_id: str, index: int, data: bytes, output_format: str) -> OutputRecord:
        """Write an output image under its sha256 (once) and record it.

        The same bytes always map to the same file, written once. Width and height are read
        from the image header; an image Pillow cannot read is still kept, with a 0 x 0 size.
        """
        values = put_output(self.files, run_id, index, data, output_format)
        with self._writer.begin() as conn:
            picked = add_output_row(conn, run_id, index, values)
            recount(conn, run_id)
        sha, ext = values["sha256"], values["output_format"]
        width, height = values["width"], values["height"]
        return OutputRecord(run_id, index, sha, ext, width, height, picked, self.files)

    def store_input(self, data: bytes, suffix: str = "") -> str:
        """Save an input image under inputs/ by content and return its sha256.

        Callers put ``"sha256:<hex>"`` in params instead of the bytes.
        """
        if suffix and not suffix.startswith("."):
            suffix = "." + suffix
        if suffix and not _EXT_RE.match(suffix[1:].lower()):
            raise ValueError(f"bad file suffix {suffix!r}")
        sha = hashlib.sha256(data).hexdigest()
        if self.files.find(f"inputs/{sha[:2]}", sha) is None:
            self.files.put(f"inputs/{sha[:2]}/{sha}{suffix.lower()}", data)
        return sha

    def input_path(self, sha256: str) -> Path | None:
        """Local path of a stored input image (``"sha256:"`` prefix allowed), or None."""
        sha = sha256.removeprefix("sha256:").lower()
        if not _SHA_RE.match(sha):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        name = self.files.find(f"inputs/{sha[:2]}", sha)
        return None if name is None else self.files.local_path(name)

    def thumbnail(self, output: OutputRecord, max_px: int = THUMBNAIL_MAX_PX) -> bytes:
        """JPEG thumbnail of an output, cached under root/thumbs/<sha>_<max_px>.jpg."""
        path = self.root / "thumbs" / f"{check_sha256(output.sha256)}_{int(max_px)}.jpg"
        with contextlib.suppress(FileNotFoundError):
            return path.read_bytes()
        data = thumbnail_jpeg(self.files.local_path(output.name).read_bytes(), max_px=max_px)
        with contextlib.suppress(OSError):  # a read-only store: shown, not cached
            atomic_write(path, data)
        return data


def put_output(
    files: FileStore, run_id: str, index: int, data: bytes, output_format: str
) -> dict[str, Any]:
    """Check an output and write its file under its sha256 (once); returns its row's values
    (the file is there before any row points to it)."""
    if index < 0:
        raise ValueError(f"output index must be >= 0, got {index}")
    if not data:
        raise ValueError(f"output {index} of run {run_id!r} is empty")
    ext = output_format.lower().lstrip(".")
    ext = "jpg" if ext == "jpeg" else ext
    if ext not in OUTPUT_FORMATS:
        raise ValueError(f"bad output format {output_format!r}")
    sha = hashlib.sha256(data).hexdigest()
    files.put(image_name(sha, ext), data)
    width, height = _image_size(data)
    return {"sha256": sha, "output_format": ext, "width": width, "height": height}


def add_output_row(conn: Connection, run_id: str, index: int, values: Mapping[str, Any]) -> bool:
    """Record an output whose file is written (the same index again: the row takes the newest
    bytes, its pick kept); returns whether it is picked. The caller recounts the run.

    Raises:
        KeyError: no run has this id.
    """
    this = (outputs.c.run_id == run_id, outputs.c.idx == index)
    found = conn.execute(
        select(runs.c.run_id, outputs.c.picked)
        .select_from(runs.outerjoin(outputs, and_(*this)))
        .where(runs.c.run_id == run_id)
    ).first()
    if found is None:
        raise KeyError(f"unknown run id {run_id!r}")
    if found.picked is None:  # a new output (not picked yet)
        conn.execute(insert(outputs).values(run_id=run_id, idx=index, **values))
    else:  # the same output again (a resumed download): same row, newest bytes
        conn.execute(update(outputs).where(*this).values(**values))
    return bool(found.picked)


def _image_size(data: bytes) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(data)) as img:
            return int(img.width), int(img.height)
    except (OSError, ValueError, Image.DecompressionBombError):
        return 0, 0
