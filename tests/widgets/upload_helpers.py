"""What the upload's browser side sends, replayed on the kernel's side of the widget comm."""

from __future__ import annotations

import uuid

from phota_widgets.widgets.upload import PART_BYTES, PhotoUpload


def browser_sends(
    widget: PhotoUpload, name: str, data: bytes, part_bytes: int = PART_BYTES
) -> None:
    """The messages the front end sends for one prepared file: begin, parts, end."""
    upload_id = uuid.uuid4().hex
    parts = [data[i : i + part_bytes] for i in range(0, len(data), part_bytes)]
    begin = {"type": "begin", "id": upload_id, "name": name, "size": len(data),
             "parts": len(parts)}  # fmt: skip
    widget._handle_custom_msg(begin, [])
    for index, chunk in enumerate(parts):
        part = {"type": "part", "id": upload_id, "index": index}
        widget._handle_custom_msg(part, [memoryview(chunk)])
    widget._handle_custom_msg({"type": "end", "id": upload_id}, [])


def browser_chooses(widget: PhotoUpload, count: int) -> None:
    """The message the front end sends when a person picks files (it replaces the last choice)."""
    widget._handle_custom_msg({"type": "choice", "count": count}, [])


def browser_refuses(widget: PhotoUpload, names: list[str], why: str) -> None:
    """The message the front end sends for files it cannot take."""
    widget._handle_custom_msg({"type": "refused", "names": names, "why": why}, [])
