"""The controls a panel is made of: prompt box with profile picker, option dropdowns, image picker.

Each control offers only what its endpoint accepts: resolutions follow the base model, quality
shows only for the model that takes it, and image pickers keep at most as many images as the
parameter allows.
"""

from __future__ import annotations

import concurrent.futures
import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w
from ipyfilechooser import FileChooser
from PIL import Image

from phota_widgets.api.images import encode_pil, is_url
from phota_widgets.api.models import (
    MAX_OUTPUT_IMAGES,
    MODEL_NAMES,
    MODEL_RESOLUTIONS,
    MODELS_WITH_QUALITY,
    AspectRatio,
    ImageModel,
    OutputFormat,
    ProfileSummary,
    Quality,
)
from phota_widgets.api.results import OutputImage
from phota_widgets.api.thumbnails import thumbnail_jpeg
from phota_widgets.widgets._common import styled

if TYPE_CHECKING:
    from phota_widgets.session import Session

ImageValue = bytes | str
"""What a picker hands to the session: encoded bytes, a file path or an http(s) URL."""

IMAGE_PATTERNS = [f"*.{ext}" for ext in ("jpg", "jpeg", "png", "webp", "heic", "heif")]
IMAGE_PATTERNS += [p.upper() for p in IMAGE_PATTERNS]
PICKER_THUMB_PX = 96
NO_PROFILE = ""


def _dropdown(description: str, options: Sequence[Any], value: Any, name: str) -> w.Dropdown:
    box = w.Dropdown(
        options=options,
        value=value,
        description=description,
        style={"description_width": "initial"},
        layout=w.Layout(width="auto"),
    )
    return styled(box, name)


def close_tree(widget: w.Widget) -> None:
    """Close a widget made here, its children, layouts and styles (their state leaves the page)."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if isinstance(part, w.Widget):
            part.close()
    widget.close()


# ------------------------------------------------------------------------------------- prompt box


class PromptBox(w.VBox):  # type: ignore[misc]
    """A prompt Textarea with a picker of the session's profiles and an insert button.

    The profile list loads on the session's loop without blocking; ``insert`` appends
    ``[[profile_id]]`` to the prompt.

    Args:
        session: where profiles come from.
        placeholder: hint shown in the empty prompt.
    """

    def __init__(self, session: Session, placeholder: str = "Describe the image") -> None:
        self.session = session
        self.text = styled(
            w.Textarea(
                placeholder=placeholder,
                rows=3,
                layout=w.Layout(width="100%"),
            ),
            "prompt",
        )
        self.picker = _dropdown(
            "Profile", [("loading profiles…", NO_PROFILE)], NO_PROFILE, "profile-picker"
        )
        self.picker.disabled = True
        self.insert_button = styled(
            w.Button(
                description="Insert",
                tooltip="append [[profile id]] to the prompt",
                disabled=True,
                layout=w.Layout(width="auto"),
            ),
            "insert-profile",
        )
        self.refresh_button = styled(
            w.Button(
                description="↻", tooltip="reload the profile list", layout=w.Layout(width="auto")
            ),
            "refresh-profiles",
        )
        self.insert_button.on_click(lambda _: self.insert_profile())
        self.refresh_button.on_click(lambda _: self.load_profiles(refresh=True))
        self.profiles_loaded: concurrent.futures.Future[list[ProfileSummary]] | None = None
        super().__init__(
            children=[self.text, w.HBox([self.picker, self.insert_button, self.refresh_button])]
        )
        styled(self, "prompt-box")
        self.load_profiles()

    def load_profiles(
        self, refresh: bool = False
    ) -> concurrent.futures.Future[list[ProfileSummary]]:
        """List the session's profiles on its loop; the picker fills in when they arrive."""
        future: concurrent.futures.Future[list[ProfileSummary]]
        try:
            future = self.session.loop.submit(self.session.aprofiles(refresh))
        except RuntimeError as exc:  # the session is closed
            future = concurrent.futures.Future()
            future.set_exception(exc)
        self.profiles_loaded = future
        future.add_done_callback(self._fill)
        return future

    def _fill(self, future: concurrent.futures.Future[list[ProfileSummary]]) -> None:
        if future.cancelled() or future.exception() is not None:
            self.picker.options = [("profiles unavailable", NO_PROFILE)]
            self.picker.disabled = self.insert_button.disabled = True
            return
        profiles = future.result()
        if not profiles:
            self.picker.options = [("no profiles yet", NO_PROFILE)]
            self.picker.disabled = self.insert_button.disabled = True
            return
        self.picker.options = [(_profile_label(p), p.profile_id) for p in profiles]
        self.picker.value = profiles[0].profile_id
        self.picker.disabled = self.insert_button.disabled = False

    def insert_profile(self, profile_id: str | None = None) -> None:
        """Append ``[[profile_id]]`` (the picked one by default) to the prompt."""
        pid = profile_id or self.picker.value
        if not pid:
            return
        text = self.text.value
        sep = "" if not text or text.endswith((" ", "\n")) else " "
        self.text.value = f"{text}{sep}[[{pid}]]"


def _profile_label(profile: ProfileSummary) -> str:
    name = f"{profile.tag} ({profile.profile_id})" if profile.tag else profile.profile_id
    status = profile.status.value if profile.status is not None else None
    return f"{name} · {status.lower()}" if status and status != "READY" else name


# ---------------------------------------------------------------------------------------- options


class ImageOptions(w.HBox):  # type: ignore[misc]
    """Aspect ratio, base model, resolution and quality (edit and generate only).

    Resolution choices follow the base model; when the model changes, a resolution it does not
    support falls back to the highest one it does. Quality shows only for models that take it.
    """

    def __init__(self) -> None:
        self.aspect_ratio = _dropdown(
            "Aspect", [a.value for a in AspectRatio], AspectRatio.AUTO.value, "aspect-ratio"
        )
        self.base_model = _dropdown(
            "Model",
            [(f"{MODEL_NAMES[m]} ({m.value})", m.value) for m in ImageModel],
            ImageModel.NB2.value,
            "base-model",
        )
        self.resolution = _dropdown("Resolution", ["1K"], "1K", "resolution")
        self.quality = _dropdown(
            "Quality", [q.value for q in Quality], Quality.AUTO.value, "quality"
        )
        super().__init__(
            children=[self.aspect_ratio, self.base_model, self.resolution, self.quality],
            layout=w.Layout(flex_flow="row wrap"),
        )
        styled(self, "image-options")
        self.base_model.observe(lambda _: self._follow_model(), names="value")
        self._follow_model()

    @property
    def dropdowns(self) -> list[w.Dropdown]:
        """Every dropdown of the row."""
        return [self.aspect_ratio, self.base_model, self.resolution, self.quality]

    def _follow_model(self) -> None:
        model = ImageModel(self.base_model.value)
        allowed = [r.value for r in MODEL_RESOLUTIONS[model]]
        current = self.resolution.value
        if list(self.resolution.options) != allowed:
            self.resolution.options = allowed  # resets the value to the first option
        self.resolution.value = current if current in allowed else allowed[-1]
        takes_quality = model in MODELS_WITH_QUALITY
        self.quality.disabled = not takes_quality
        self.quality.layout.display = None if takes_quality else "none"

    def params(self) -> dict[str, Any]:
        """The chosen options as request parameters (quality only when the model takes it)."""
        params: dict[str, Any] = {
            "aspect_ratio": self.aspect_ratio.value,
            "resolution": self.resolution.value,
            "base_model": self.base_model.value,
        }
        if not self.quality.disabled:
            params["quality"] = self.quality.value
        return params

    def set_params(self, params: Mapping[str, Any]) -> None:
        """Choose the options named in ``params`` (values the controls do not offer are skipped)."""
        _choose(self.base_model, params.get("base_model"))
        _choose(self.resolution, params.get("resolution"))
        _choose(self.aspect_ratio, params.get("aspect_ratio"))
        _choose(self.quality, params.get("quality"))


class OutputOptions(w.HBox):  # type: ignore[misc]
    """Number of outputs and output format (every endpoint)."""

    def __init__(self) -> None:
        counts = [(f"{n} image{'s' if n > 1 else ''}", n) for n in range(1, MAX_OUTPUT_IMAGES + 1)]
        self.num_outputs = _dropdown("Outputs", counts, 1, "num-outputs")
        self.output_format = _dropdown(
            "Format",
            [f.value for f in (OutputFormat.JPG, OutputFormat.PNG)],
            "jpg",
            "output-format",
        )
        super().__init__(children=[self.num_outputs, self.output_format])
        styled(self, "output-options")

    @property
    def dropdowns(self) -> list[w.Dropdown]:
        """Every dropdown of the row."""
        return [self.num_outputs, self.output_format]

    def params(self) -> dict[str, Any]:
        """The chosen options as request parameters."""
        return {
            "num_output_images": self.num_outputs.value,
            "output_format": self.output_format.value,
        }

    def set_params(self, params: Mapping[str, Any]) -> None:
        """Choose the options named in ``params``."""
        _choose(self.num_outputs, params.get("num_output_images"))
        _choose(self.output_format, params.get("output_format"))


def _choose(dropdown: w.Dropdown, value: Any) -> None:
    """Select ``value`` when the dropdown offers it (enums are compared by value)."""
    value = getattr(value, "value", value)
    if value is not None and value in [v for _, v in _pairs(dropdown)]:
        dropdown.value = value


def _pairs(dropdown: w.Dropdown) -> list[tuple[str, Any]]:
    return [(str(o), o) if not isinstance(o, tuple) else o for o in dropdown.options]


# ------------------------------------------------------------------------------------ image picker


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
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.param = param
        self.max_items = max(1, max_items)
        self.items: list[PickedImage] = []
        self.on_change: Callable[[], None] | None = None
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
