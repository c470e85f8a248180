"""Photo upload that works for phone photos in Voila, JupyterLab and Colab.

``ipywidgets.FileUpload`` sends the files whole in one widget message: past about 10 MB the
websocket drops it and nothing is said. Here the browser decodes each file, draws it to a canvas
no larger than what Phota receives (4096 px a side, the limit the client downscales to anyway)
and sends a JPEG (PNG for PNG/WebP sources) in parts of ``part_bytes``; a small JPEG/PNG/WebP
within the limits is sent untouched. Files the browser cannot read, or more than ``max_files``,
are named back to the kernel, which tells the person. The bytes never become a widget trait.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from phota_widgets.api.models import MAX_INPUT_SIDE

PART_BYTES = 1 << 20
"""Bytes per message (well under any websocket or proxy limit)."""
KEEP_BYTES = 8 << 20
"""A file up to this size within the side limit is sent as it is, not re-encoded."""
MAX_FILE_BYTES = 64 << 20
"""The most one prepared file may announce; more is refused (no JPEG of 4096 px comes near)."""


@dataclass(frozen=True)
class UploadedFile:
    """One file as the kernel received it: its name and the bytes to send to Phota."""

    name: str
    data: bytes


@dataclass
class _Incoming:
    name: str
    size: int
    parts: int
    chunks: list[bytes]


class PhotoUpload(anywidget.AnyWidget):
    """An upload button whose files arrive however large the photo was.

    Args:
        description: the button's label.
        max_files: how many files one choice may hold (more are refused and named).

    Attributes:
        files: the files of the latest choice received so far (a new choice or :meth:`clear`
            empties it).
        count: how many files it holds (shown on the button).
    """

    _esm = Path(__file__).with_name("upload_esm.js")
    description = traitlets.Unicode("Upload").tag(sync=True)
    accept = traitlets.Unicode("image/*").tag(sync=True)
    max_files = traitlets.Int(1).tag(sync=True)
    max_side = traitlets.Int(MAX_INPUT_SIDE).tag(sync=True)
    part_bytes = traitlets.Int(PART_BYTES).tag(sync=True)
    keep_bytes = traitlets.Int(KEEP_BYTES).tag(sync=True)
    count = traitlets.Int(0).tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)

    def __init__(self, description: str = "Upload", max_files: int = 1, **kwargs: Any) -> None:
        super().__init__(description=description, max_files=max(1, max_files), **kwargs)
        self.add_class("phota-upload")
        self.files: tuple[UploadedFile, ...] = ()
        self._incoming: dict[str, _Incoming] = {}
        self._on_file: list[Callable[[UploadedFile], object]] = []
        self._on_refused: list[Callable[[str], object]] = []
        self.on_msg(self._on_message)

    def on_file(self, callback: Callable[[UploadedFile], object]) -> None:
        """Call ``callback(file)`` as each file arrives whole."""
        self._on_file.append(callback)

    def on_refused(self, callback: Callable[[str], object]) -> None:
        """Call ``callback(sentence)`` when a chosen file cannot be taken."""
        self._on_refused.append(callback)

    def clear(self) -> None:
        """Forget the received files."""
        self.files = ()
        self.count = 0

    def _on_message(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        if not isinstance(content, dict):
            return
        kind, upload_id = content.get("type"), str(content.get("id", ""))
        if kind == "choice":
            self.clear()
            self._incoming.clear()
        elif kind == "refused":
            names = ", ".join(str(n) for n in content.get("names", []))
            self._refuse(f"{names}: {content.get('why') or 'cannot be taken'}")
        elif kind == "begin":
            self._begin(upload_id, content)
        elif kind == "part" and upload_id in self._incoming and buffers:
            self._part(upload_id, int(content.get("index", -1)), bytes(buffers[0]))
        elif kind == "end" and upload_id in self._incoming:
            self._end(upload_id)

    def _begin(self, upload_id: str, content: dict[str, Any]) -> None:
        name = str(content.get("name") or "upload")[:200]
        size, parts = int(content.get("size", 0)), int(content.get("parts", 0))
        if not 0 < size <= MAX_FILE_BYTES or not 0 < parts <= size:
            self._refuse(f"{name}: too large to take ({size / 1e6:.0f} MB after downscaling)")
            return
        self._incoming[upload_id] = _Incoming(name, size, parts, [])

    def _part(self, upload_id: str, index: int, chunk: bytes) -> None:
        incoming = self._incoming[upload_id]
        received = sum(len(c) for c in incoming.chunks) + len(chunk)
        if index != len(incoming.chunks) or received > incoming.size:
            del self._incoming[upload_id]
            self._refuse(f"{incoming.name}: arrived incomplete; choose it again")
            return
        incoming.chunks.append(chunk)

    def _end(self, upload_id: str) -> None:
        incoming = self._incoming.pop(upload_id)
        data = b"".join(incoming.chunks)
        if len(incoming.chunks) != incoming.parts or len(data) != incoming.size:
            self._refuse(f"{incoming.name}: arrived incomplete; choose it again")
            return
        file = UploadedFile(incoming.name, data)
        self.files = (*self.files, file)
        self.count = len(self.files)
        for callback in self._on_file:
            callback(file)

    def _refuse(self, sentence: str) -> None:
        for callback in self._on_refused:
            callback(sentence)
