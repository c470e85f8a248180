"""Image pickers: a file on the kernel's disk, an upload, a URL, or a result sent from a panel.

A chosen image is taken on the caller's thread (cheap checks only); its thumbnail is made on the
UI thread, which is also where an image that cannot be decoded is found, dropped and named in the
picker's message. So the kernel never decodes an image, and the thumbnails and the message have
one writer.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import ipywidgets as w
from ipyfilechooser import FileChooser
from PIL import Image

from phota_widgets.api.images import encode_pil, is_url
from phota_widgets.api.results import OutputImage
from phota_widgets.api.thumbnails import thumbnail_jpeg
from phota_widgets.samples import SAMPLES, sample
from phota_widgets.widgets._common import close_tree, styled, ui_call
from phota_widgets.widgets.upload import PhotoUpload, UploadedFile

ImageValue = bytes | str
"""What a picker hands to the session: encoded bytes, a file path or an http(s) URL."""

IMAGE_PATTERNS = [f"*.{ext}" for ext in ("jpg", "jpeg", "png", "webp", "heic", "heif")]
IMAGE_PATTERNS += [p.upper() for p in IMAGE_PATTERNS]
PICKER_THUMB_PX = 96
UNREADABLE = b""
"""The thumbnail of an image that cannot be decoded (it is dropped from the picker)."""


@dataclass(frozen=True)
class PickedImage:
    """An input image chosen in a picker: bytes, a file path or a URL, and how to name it."""

    value: ImageValue
    label: str


def coerce_image(image: Any, label: str | None = None) -> PickedImage:
    """Turn an output, bytes, PIL image, path or URL into a :class:`PickedImage`.

    Raises:
        ValueError: a path that is not a file, or a type no picker takes.
    """
    if isinstance(image, PickedImage):
        return image
    if isinstance(image, OutputImage):
        return PickedImage(image.data, label or f"output #{image.index}")
    if isinstance(image, (bytes, bytearray, memoryview)):
        return PickedImage(bytes(image), label or "image bytes")
    if isinstance(image, Image.Image):
        return PickedImage(encode_pil(image), label or "PIL image")
    if is_url(image):
        return PickedImage(str(image), label or str(image))
    if isinstance(image, (str, os.PathLike)):
        path = Path(image).expanduser()
        if not path.is_file():
            raise ValueError(f"no such image file: {path}")
        return PickedImage(str(path), label or path.name)
    raise ValueError(f"cannot use a {type(image).__name__} as an input image")


class ImagePicker(w.VBox):  # type: ignore[misc]
    """Choose input images: a file on the kernel's disk, an upload, a URL, or a sent result.

    Shows a small thumbnail of each chosen image (never the full image).

    Args:
        param: the request parameter it fills (``images``, ``image``, ``input_image``, ...).
        title: what the picker is for, shown above it.
        max_items: how many images it holds (more than one makes a list parameter).
        start_dir: where the file chooser opens (by default the user's Pictures folder, or
            the working folder when it holds photos, else the sample photos' folder).
        on_change: called after the chosen images change.
    """

    def __init__(
        self,
        param: str,
        title: str,
        *,
        max_items: int = 1,
        start_dir: str | os.PathLike[str] | None = None,
        on_change: Callable[[], object] | None = None,
    ) -> None:
        self.param = param
        self.max_items = max(1, max_items)
        self.items: list[PickedImage] = []
        self._items_lock = threading.Lock()
        self._thumbs: dict[int, tuple[PickedImage, bytes | None]] = {}  # id -> (item, JPEG)
        self.on_change: Callable[[], object] | None = None
        self.chooser = styled(
            FileChooser(
                str(start_dir or photo_folder()),
                filter_pattern=IMAGE_PATTERNS,
                select_desc="Browse…",
                change_desc="Browse…",
                layout=w.Layout(width="auto"),
            ),
            "file-chooser",
        )
        self.chooser.register_callback(self._on_file)
        _style_chooser_parts(self.chooser)
        self.samples = [
            styled(
                w.Button(
                    description=name,
                    icon="image",
                    tooltip=f"use the sample photo {name}.jpg",
                    layout=w.Layout(width="auto"),
                ),
                "sample",
            )
            for name in SAMPLES
        ]
        for button, name in zip(self.samples, SAMPLES, strict=True):
            button.on_click(lambda _, n=name: self._add(sample(n), f"{n}.jpg"))
        self.upload = styled(PhotoUpload("Upload", max_files=self.max_items), "upload")
        self.upload.on_file(self._on_upload)
        self.upload.on_refused(self._say)
        self.url = styled(
            w.Text(placeholder="https://… image URL", layout=w.Layout(width="320px")), "image-url"
        )
        self.url_button = styled(
            w.Button(description="Use URL", layout=w.Layout(width="auto")), "use-url"
        )
        self.url_button.on_click(lambda _: self._on_url())
        self.clear_button = styled(
            w.Button(description="Clear", layout=w.Layout(width="auto")), "clear-images"
        )
        self.clear_button.on_click(lambda _: self.clear())
        self.thumbs = styled(w.HBox(layout=w.Layout(flex_flow="row wrap")), "input-thumbs")
        self.message = styled(w.HTML(), "picker-message")
        many = f" (1 to {self.max_items})" if self.max_items > 1 else ""
        head = w.HTML(f"<b>{escape(title)}</b>{escape(many)}")
        row = w.HBox(
            [self.upload, self.url, self.url_button, self.clear_button],
            layout=w.Layout(flex_flow="row wrap"),
        )
        samples_row = styled(
            w.HBox(
                [w.HTML("<small>Sample photos:&nbsp;</small>"), *self.samples],
                layout=w.Layout(flex_flow="row wrap", align_items="center"),
            ),
            "samples",
        )
        super().__init__(children=[head, samples_row, self.chooser, row, self.thumbs, self.message])
        styled(self, "image-picker")
        self._render(None)
        self.on_change = on_change

    @property
    def value(self) -> ImageValue | list[ImageValue] | None:
        """What the request gets: one image, a list (multi-image pickers) or None."""
        if not self.items:
            return None
        if self.max_items > 1:
            return [item.value for item in self.items]
        return self.items[0].value

    def set(
        self, image: Any, label: str | None = None, *, append: bool = False
    ) -> concurrent.futures.Future[None]:
        """Choose an image (replacing the current ones unless ``append``).

        The image is taken at once; the UI thread then makes its thumbnail, or drops it and
        says so in :attr:`message` when it cannot be decoded.

        Returns:
            A future done once the picker shows the change.

        Raises:
            ValueError: a missing file, a type no picker takes, or the picker is full.
        """
        picked = coerce_image(image, label)
        if not append and picked.value != self.chooser.selected:
            ui_call(self._reset_chooser)  # it must not show a file the picker no longer holds
        with self._items_lock:
            if append and self.max_items > 1:
                if len(self.items) >= self.max_items:
                    raise ValueError(f"{self.param} takes at most {self.max_items} images")
                self.items = [*self.items, picked]
            else:
                self.items = [picked]
        return ui_call(self._render, "")

    def clear(self) -> concurrent.futures.Future[None]:
        """Forget every chosen image."""
        with self._items_lock:
            self.items = []
        ui_call(self._reset_chooser)
        return ui_call(self._render, "")

    def _reset_chooser(self) -> None:
        """Forget the file chooser's last choice (on the UI thread), keeping its folder."""
        folder = self.chooser.selected_path or self.chooser.default_path
        self.chooser.reset(path=folder)

    def _add(self, image: Any, label: str | None = None) -> None:
        try:
            self.set(image, label, append=True)
        except Exception as exc:
            self._say(str(exc))

    def _say(self, problem: str) -> None:
        ui_call(setattr, self.message, "value", _problem_html(problem))

    def _on_file(self, chooser: Any = None) -> None:
        selected = self.chooser.selected
        if selected:
            self._add(selected)

    def _on_upload(self, file: UploadedFile) -> None:
        self._add(file.data, file.name)
        self.upload.clear()  # the picker holds it now

    def _on_url(self) -> None:
        url = self.url.value.strip()
        if not is_url(url):
            self._say("enter an http(s) URL")
            return
        self._add(url)
        self.url.value = ""

    def _render(self, message: str | None) -> None:
        """Show a thumbnail of each chosen image (on the UI thread, or while building).

        Args:
            message: the picker's new message (None keeps it); images that cannot be decoded
                are dropped, and the message names them instead.
        """
        items = list(self.items)
        thumbs = {id(item): (item, self._thumb(item)) for item in items}
        self._thumbs = thumbs
        broken = [item for item, thumb in thumbs.values() if thumb == UNREADABLE]
        if broken:
            with self._items_lock:
                self.items = [i for i in self.items if not any(i is b for b in broken)]
            names = ", ".join(item.label for item in broken)
            message = _problem_html(f"{names}: not an image this tool can read")
        old = self.thumbs.children
        cells = [_thumb_cell(i, thumbs[id(i)][1]) for i in items if not any(i is b for b in broken)]
        self.thumbs.children = cells or [w.HTML('<span style="color:#777">no image chosen</span>')]
        for cell in old:
            close_tree(cell)
        if message is not None:
            self.message.value = message
        if self.on_change is not None:
            self.on_change()

    def _thumb(self, item: PickedImage) -> bytes | None:
        """The item's thumbnail (made once): None for a URL, UNREADABLE if it cannot be decoded."""
        known = self._thumbs.get(id(item))
        if known is not None and known[0] is item:
            return known[1]
        try:
            data = _read(item)
            return None if data is None else thumbnail_jpeg(data, max_px=PICKER_THUMB_PX)
        except Exception:  # unreadable file or undecodable bytes
            return UNREADABLE

    def first_local(self) -> ImageValue | None:
        """The first chosen image when it is bytes or a file (not a URL), else None."""
        for item in self.items:
            if isinstance(item.value, bytes) or not is_url(item.value):
                return item.value
        return None


CHOOSER_PARTS = {
    "_select": "file-select",
    "_cancel": "file-cancel",
    "_pathlist": "file-folder",
    "_filename": "file-name",
    "_dircontent": "file-list",
}
"""ipyfilechooser's inner widgets (private names, so looked up defensively) and their classes."""


def _style_chooser_parts(chooser: FileChooser) -> None:
    """Give the chooser's parts CSS classes; hide its save-name box; show choices plainly."""
    for attribute, name in CHOOSER_PARTS.items():
        part = getattr(chooser, attribute, None)
        if isinstance(part, w.DOMWidget):
            styled(part, name)
    name_box = getattr(chooser, "_filename", None)
    grid = getattr(chooser, "_gb", None)
    if isinstance(name_box, w.DOMWidget) and isinstance(grid, w.DOMWidget):
        name_box.layout.display = "none"  # a "save as" field: this chooser only opens
        grid.layout.grid_template_areas = "'pathlist pathlist' 'dircontent dircontent'"
    # the chosen path in a neutral colour, not ipyfilechooser's "will overwrite" orange
    chooser._LBL_TEMPLATE = '<span style="color:#333">{0}</span>'


def photo_folder() -> Path:
    """Where a file chooser opens: ~/Pictures, the working folder if it has photos, or samples."""
    pictures = Path.home() / "Pictures"
    if pictures.is_dir():
        return pictures
    here = Path.cwd()
    if any(next(here.glob(pattern), None) for pattern in IMAGE_PATTERNS):
        return here
    return Path(str(resources.files("phota_widgets").joinpath("data")))


def _read(picked: PickedImage) -> bytes | None:
    if isinstance(picked.value, bytes):
        return picked.value
    if is_url(picked.value):
        return None
    return Path(picked.value).read_bytes()


def _problem_html(text: str) -> str:
    return f'<span style="color:#b00020">{escape(text)}</span>'


def _thumb_cell(item: PickedImage, thumbnail: bytes | None) -> w.Widget:
    label = w.HTML(f'<small title="{escape(item.label)}">{escape(item.label[:24])}</small>')
    if thumbnail is None:
        return w.VBox([w.HTML("<small>🔗 URL</small>"), label])
    thumb = styled(
        w.Image(
            value=thumbnail,
            format="jpeg",
            layout=w.Layout(max_width=f"{PICKER_THUMB_PX}px"),
        ),
        "input-thumb",
    )
    return w.VBox([thumb, label])
