"""What a request returns: output images (decoded lazily) with everything known about the run."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image

from phota_widgets.api.images import decode_base64_image, sniff_format
from phota_widgets.api.provenance import ImageSettings, embed_settings
from phota_widgets.api.thumbnails import figure_html, grid_html


class OutputImage:
    """One output image. Its bytes are decoded on first use; ``.image`` opens it with PIL.

    Attributes:
        index: position among the request's outputs.
        url: the signed download link it came from (``response_mode="urls"``), if any.
    """

    def __init__(
        self,
        index: int,
        *,
        b64: str | None = None,
        data: bytes | None = None,
        url: str | None = None,
    ) -> None:
        if b64 is None and data is None:
            raise ValueError("an output image needs base64 text or bytes")
        self.index = index
        self.url = url
        self._b64 = b64
        self._data = data
        self._result: Result | None = None

    @property
    def settings(self) -> ImageSettings | None:
        """The prompt and settings that made it (None outside a Result)."""
        result = self._result
        if result is None:
            return None
        return ImageSettings.of_call(
            result.endpoint,
            result.request,
            run_id=result.run_id,
            index=self.index,
            backend=result.backend,
        )

    def tagged_data(self) -> bytes:
        """The bytes with the prompt and settings embedded (what saves and downloads write).

        :attr:`data` stays exactly as received (the run store keeps and hashes those bytes).
        """
        settings = self.settings
        return self.data if settings is None else embed_settings(self.data, settings)

    @property
    def data(self) -> bytes:
        """The encoded image bytes (JPEG or PNG)."""
        if self._data is None:
            assert self._b64 is not None
            self._data = decode_base64_image(self._b64)
            self._b64 = None
        return self._data

    @cached_property
    def image(self) -> Image.Image:
        """The image as a PIL image (decoded once)."""
        img = Image.open(BytesIO(self.data))
        img.load()
        return img

    @property
    def format(self) -> str:
        """``jpg`` or ``png`` (from the bytes' signature)."""
        kind = sniff_format(self.data) or "bin"
        return "jpg" if kind == "jpeg" else kind

    @property
    def size(self) -> tuple[int, int]:
        """Width and height in pixels (read from the header; the pixels are not decoded)."""
        if "image" in self.__dict__:
            return self.image.size
        with Image.open(BytesIO(self.data)) as img:
            width, height = img.size
        return int(width), int(height)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the image, its prompt and settings embedded, to ``path`` (a folder gets
        ``output_<index>.<format>``)."""
        target = Path(path)
        if target.is_dir():
            target = target / f"output_{self.index}.{self.format}"
        target.write_bytes(self.tagged_data())
        return target

    def _repr_html_(self) -> str:
        return figure_html(self.data, f"#{self.index}", max_px=512)

    def __repr__(self) -> str:
        loaded = f"{len(self._data)} bytes" if self._data is not None else "not decoded"
        return f"OutputImage(index={self.index}, {loaded})"


@dataclass
class Result:
    """The answer to one image request.

    Attributes:
        endpoint: ``generate``, ``edit``, ``enhance`` or ``remix``.
        images: the outputs, in order.
        known_subjects: profile id -> how many outputs it was recognised in (the billing signal).
        request_id: the server's request id.
        request: what was sent, with every image replaced by a short description.
        elapsed: seconds from sending to the last byte (polling included for jobs).
        cost_estimate: estimated cost in US dollars.
        job_id: the async job it came from, if any.
        notes: what the server said besides the images (the embedded server's notes).
        run_id: the run store's id for it, when a Session ran it.
        requests: HTTP requests the call made (submit, polls, downloads, retries), when a
            Session ran it.
        backend: the run store's backend id (``local:...`` for the embedded offline server).
    """

    endpoint: str
    images: list[OutputImage]
    known_subjects: dict[str, int] = field(default_factory=dict)
    request_id: str | None = None
    request: Mapping[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0
    cost_estimate: float | None = None
    job_id: str | None = None
    notes: list[str] = field(default_factory=list)
    run_id: str | None = None
    requests: int | None = None
    backend: str | None = None

    def __post_init__(self) -> None:
        for image in self.images:
            image._result = self

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> OutputImage:
        return self.images[index]

    def save(self, folder: str | os.PathLike[str], prefix: str | None = None) -> list[Path]:
        """Write every output to ``folder`` (created if missing); returns the paths."""
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        stem = _safe_name(prefix) or _safe_name(self.request_id) or _safe_name(self.endpoint)
        paths = []
        for img in self.images:
            name = f"{stem or 'output'}_{img.index}.{_safe_name(img.format) or 'img'}"
            paths.append(img.save(target / name))
        return paths

    def _repr_html_(self) -> str:
        figures = [figure_html(img.data, f"#{img.index}") for img in self.images]
        cost = f" · ~${self.cost_estimate:.2f}" if self.cost_estimate is not None else ""
        title = f"{self.endpoint}: {len(self.images)} image(s) in {self.elapsed:.1f}s{cost}"
        return grid_html(figures, columns=min(4, max(len(figures), 1)), title=title)

    def __repr__(self) -> str:
        return (
            f"Result(endpoint={self.endpoint!r}, images={len(self.images)}, "
            f"request_id={self.request_id!r}, known_subjects={self.known_subjects!r}, "
            f"elapsed={self.elapsed:.2f})"
        )


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_name(text: str | None) -> str:
    """A file-name part from safe characters only: no separators, no leading dots (no ``..``)."""
    if not text:
        return ""
    return _UNSAFE.sub("_", str(text)).lstrip(".")[:80]
