"""Image pickers: a file on the kernel's disk, an upload, a URL, or a result sent from a panel."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as w
from ipyfilechooser import FileChooser
from PIL import Image

from phota_widgets.api.images import encode_pil, is_url
from phota_widgets.api.results import OutputImage
from phota_widgets.api.thumbnails import thumbnail_jpeg
from phota_widgets.widgets._common import close_tree, styled

ImageValue = bytes | str
"""What a picker hands to the session: encoded bytes, a file path or an http(s) URL."""

IMAGE_PATTERNS = [f"*.{ext}" for ext in ("jpg", "jpeg", "png", "webp", "heic", "heif")]
IMAGE_PATTERNS += [p.upper() for p in IMAGE_PATTERNS]
PICKER_THUMB_PX = 96


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
        start_dir: where the file chooser opens (the working folder by default).
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
        self.on_change: Callable[[], object] | None = None
        self.chooser = styled(
            FileChooser(
                str(start_dir or os.getcwd()),
                filter_pattern=IMAGE_PATTERNS,
                layout=w.Layout(width="auto"),
            ),
            "file-chooser",
        )
        self.chooser.register_callback(self._on_file)
        _style_chooser_parts(self.chooser)
        self.upload = styled(
            w.FileUpload(accept="image/*", multiple=self.max_items > 1, description="Upload"),
            "upload",
        )
        self.upload.observe(self._on_upload, names="value")
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
        super().__init__(children=[head, self.chooser, row, self.thumbs, self.message])
        styled(self, "image-picker")
        self._render()
        self.on_change = on_change

    @property
    def value(self) -> ImageValue | list[ImageValue] | None:
        """What the request gets: one image, a list (multi-image pickers) or None."""
        if not self.items:
            return None
        if self.max_items > 1:
            return [item.value for item in self.items]
        return self.items[0].value

    def set(self, image: Any, label: str | None = None, *, append: bool = False) -> None:
        """Choose an image (replacing the current ones unless ``append``).

        Raises:
            ValueError: the image cannot be read, or the picker is full.
        """
        picked = coerce_image(image, label)
        _check_readable(picked)
        if append and self.max_items > 1:
            if len(self.items) >= self.max_items:
                raise ValueError(f"{self.param} takes at most {self.max_items} images")
            items = [*self.items, picked]
        else:
            items = [picked]
        self.items = items
        self.message.value = ""
        self._render()

    def clear(self) -> None:
        """Forget every chosen image."""
        self.items = []
        self.message.value = ""
        self._render()

    def _add(self, image: Any, label: str | None = None) -> None:
        try:
            self.set(image, label, append=True)
        except Exception as exc:
            self.message.value = f'<span style="color:#b00020">{escape(str(exc))}</span>'

    def _on_file(self, chooser: Any = None) -> None:
        selected = self.chooser.selected
        if selected:
            self._add(selected)

    def _on_upload(self, change: Mapping[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        for item in files:
            self._add(bytes(item["content"]), str(item.get("name") or "upload"))
        self.upload.value = ()  # the bytes leave the widget state once read

    def _on_url(self) -> None:
        url = self.url.value.strip()
        if not is_url(url):
            self.message.value = '<span style="color:#b00020">enter an http(s) URL</span>'
            return
        self._add(url)
        self.url.value = ""

    def _render(self) -> None:
        old = self.thumbs.children
        cells = [_thumb_cell(item) for item in self.items]
        self.thumbs.children = cells or [w.HTML('<span style="color:#777">no image chosen</span>')]
        for cell in old:
            close_tree(cell)
        if self.on_change is not None:
            self.on_change()

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
    for attribute, name in CHOOSER_PARTS.items():
        part = getattr(chooser, attribute, None)
        if isinstance(part, w.DOMWidget):
            styled(part, name)


def _read(picked: PickedImage) -> bytes | None:
    if isinstance(picked.value, bytes):
        return picked.value
    if is_url(picked.value):
        return None
    return Path(picked.value).read_bytes()


def _check_readable(picked: PickedImage) -> None:
    data = _read(picked)
    if data is None:
        return
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.size  # noqa: B018 (reads the header)
    except Exception:
        raise ValueError(f"{picked.label} is not an image this tool can read") from None


def _thumb_cell(item: PickedImage) -> w.Widget:
    label = w.HTML(f'<small title="{escape(item.label)}">{escape(item.label[:24])}</small>')
    data = _read(item)
    if data is None:
        return w.VBox([w.HTML("<small>🔗 URL</small>"), label])
    thumb = styled(
        w.Image(
            value=thumbnail_jpeg(data, max_px=PICKER_THUMB_PX),
            format="jpeg",
            layout=w.Layout(max_width=f"{PICKER_THUMB_PX}px"),
        ),
        "input-thumb",
    )
    return w.VBox([thumb, label])
