"""The photo upload's kernel side: files arrive whole from parts, anything odd is refused in
words, and the pickers and the Profiles panel take what arrives (the browser side is driven in
tests/browser/test_large_uploads.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from upload_helpers import browser_chooses, browser_refuses, browser_sends

from phota_widgets.widgets.picker import ImagePicker
from phota_widgets.widgets.upload import MAX_FILE_BYTES, PhotoUpload, UploadedFile


def _collect(widget: PhotoUpload) -> tuple[list[UploadedFile], list[str]]:
    files: list[UploadedFile] = []
    refusals: list[str] = []
    widget.on_file(files.append)
    widget.on_refused(refusals.append)
    return files, refusals


def test_parts_arrive_as_one_file_and_nothing_is_kept_in_the_widget_state() -> None:
    widget = PhotoUpload("Photos", max_files=10)
    files, refusals = _collect(widget)
    data = os.urandom(3_500_000)  # three full parts and a short one
    browser_chooses(widget, 2)
    browser_sends(widget, "a.jpg", data)
    browser_sends(widget, "b.png", b"\x89PNG small", part_bytes=4)
    assert [f.name for f in files] == ["a.jpg", "b.png"] and files[0].data == data
    assert widget.files == tuple(files) and widget.count == 2 and refusals == []
    assert not [v for v in widget.get_state().values() if isinstance(v, (bytes, memoryview))]
    browser_chooses(widget, 1)  # a new choice replaces the last one
    assert widget.files == () and widget.count == 0


def test_a_broken_or_oversized_transfer_is_refused_in_words() -> None:
    widget = PhotoUpload()
    files, refusals = _collect(widget)
    widget._handle_custom_msg({"type": "begin", "id": "x", "name": "big.jpg",
                               "size": MAX_FILE_BYTES + 1, "parts": 70}, [])  # fmt: skip
    assert files == [] and "big.jpg: too large to take" in refusals[-1]
    widget._handle_custom_msg({"type": "begin", "id": "y", "name": "gap.jpg", "size": 10,
                               "parts": 2}, [])  # fmt: skip
    widget._handle_custom_msg({"type": "part", "id": "y", "index": 1}, [b"12345"])  # skipped 0
    widget._handle_custom_msg({"type": "end", "id": "y"}, [])
    assert files == [] and "gap.jpg: arrived incomplete; choose it again" in refusals[-1]
    widget._handle_custom_msg({"type": "begin", "id": "z", "name": "short.jpg", "size": 10,
                               "parts": 2}, [])  # fmt: skip
    widget._handle_custom_msg({"type": "part", "id": "z", "index": 0}, [b"12345"])
    widget._handle_custom_msg({"type": "end", "id": "z"}, [])  # a part never came
    assert files == [] and "short.jpg: arrived incomplete" in refusals[-1]
    widget._handle_custom_msg({"type": "part", "id": "nobody", "index": 0}, [b"1"])
    widget._handle_custom_msg("not a dict", [])
    assert files == [] and len(refusals) == 3 and widget.files == ()


def test_the_picker_takes_an_upload_and_says_what_it_cannot_take(
    data: Path, settle: Callable[[], None]
) -> None:
    picker = ImagePicker("images", "Photos", max_items=2)
    photo = (data / "coffee.jpg").read_bytes()
    browser_chooses(picker.upload, 3)
    browser_sends(picker.upload, "coffee.jpg", photo, part_bytes=50_000)
    browser_refuses(picker.upload, ["third.jpg"], "only 2 image(s) can be taken here")
    settle()
    assert picker.value == [photo] and picker.upload.files == ()
    assert "third.jpg: only 2 image(s) can be taken here" in picker.message.value
    browser_refuses(picker.upload, ["scan.tiff"], "the browser cannot read this image")
    settle()
    assert "scan.tiff: the browser cannot read this image" in picker.message.value
    browser_sends(picker.upload, "notes.jpg", b"not a photo at all")  # passed on as it is
    settle()
    assert picker.value == [photo]  # dropped, and named
    assert "notes.jpg: not an image this tool can read" in picker.message.value
    picker.close()


def test_a_single_image_picker_allows_one_file(session: Any) -> None:
    picker = ImagePicker("image", "Photo")
    assert picker.upload.max_files == 1 and picker.upload.description == "Upload"
    picker.close()
