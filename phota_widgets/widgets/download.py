"""Downloads that land on the user's own computer (Voila and Binder too), built only on a click.

The bytes travel once, in a custom widget message with a binary buffer, to the browser, which
saves them as a file; they are never a widget trait, so they never enter the widget state or a
notebook saved with it. The front end is a few lines of anywidget ESM: no extension to install.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from phota_widgets.api.results import OutputImage

MIME_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "zip": "application/zip",
    "csv": "text/csv",
    "html": "text/html",
}

_ESM = """
function save(msg, buffers) {
  if (!msg || msg.type !== "phota-download" || !buffers || !buffers.length) return;
  const blob = new Blob([buffers[0]], { type: msg.mime || "application/octet-stream" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = msg.name;
  link.style.display = "none";
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
export default {
  initialize({ model }) {
    model.on("msg:custom", save);
  },
  render({ el }) {
    el.classList.add("phota-downloader");
  },
};
"""


class Downloader(anywidget.AnyWidget):
    """Hands files to the browser as downloads; shows nothing.

    Attributes:
        count: how many files were handed over (the bytes themselves are not kept).
    """

    _esm = _ESM
    count = traitlets.Int(0).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("phota-downloader")
        self.layout.width = "0px"
        self.layout.height = "0px"

    def download(self, name: str, data: bytes) -> None:
        """Send ``data`` to the browser, which saves it as ``name`` on the user's computer."""
        suffix = name.rsplit(".", 1)[-1].lower()
        mime = MIME_TYPES.get(suffix, "application/octet-stream")
        self.send({"type": "phota-download", "name": name, "mime": mime}, [data])
        self.count += 1


def output_name(stem: str, image: OutputImage) -> str:
    """The file name of one output: ``<stem>_<index>.<format>``."""
    return f"{stem}_{image.index}.{image.format}"


def zip_outputs(stem: str, images: Sequence[OutputImage]) -> bytes:
    """Outputs in one zip, prompt and settings embedded in each (stored, not re-compressed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for image in images:
            archive.writestr(output_name(stem, image), image.tagged_data())
    return buffer.getvalue()


def zip_folder(folder: Path) -> bytes:
    """Every file under ``folder`` in one zip, named relative to it (images stored as they are)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            stored = path.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp", ".parquet")
            kind = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            archive.write(path, path.relative_to(folder).as_posix(), compress_type=kind)
    return buffer.getvalue()
