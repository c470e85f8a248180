"""An input image that carries its settings fills the panel's prompt and settings.

Outputs saved or downloaded by phota-widgets embed the prompt and settings that made them
(:mod:`phota_widgets.api.provenance`). Dropped back into a panel as an input, such an image puts
them back in the controls, and the picker says so. Images the panel put there itself (a run
reopened from History) are not read, so they never overwrite the run's own settings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from phota_widgets.api.images import is_url
from phota_widgets.api.provenance import ImageSettings, read_settings

if TYPE_CHECKING:
    from phota_widgets.widgets.picker import ImagePicker, PickedImage


class SettingsFromInputs:
    """Watches a panel's pickers; a newly chosen image with settings fills the controls.

    Args:
        pickers: the panel's image pickers by request parameter.
        fill: puts request parameters (no images) in the panel's controls.
    """

    def __init__(
        self, pickers: Mapping[str, ImagePicker], fill: Callable[[dict[str, Any]], None]
    ) -> None:
        self._pickers = pickers
        self._fill = fill
        self._seen: dict[str, list[PickedImage]] = {}
        self._lock = threading.Lock()
        self.last: ImageSettings | None = None

    def mark_seen(self) -> None:
        """Take the pickers' current images as known (the panel chose them itself)."""
        with self._lock:
            self._seen = {name: list(p.items) for name, p in self._pickers.items()}

    def check(self) -> ImageSettings | None:
        """Read the images chosen since the last check; fill the controls from the first one
        that carries settings (on the UI thread, where pickers call it). Returns those."""
        with self._lock:
            fresh: list[tuple[ImagePicker, PickedImage]] = []
            for name, picker in self._pickers.items():
                before = self._seen.get(name, [])
                items = list(picker.items)
                self._seen[name] = items
                fresh += [(picker, i) for i in items if not any(i is old for old in before)]
        for picker, item in fresh:
            settings = _settings_of(item)
            if settings is None or not settings.params:
                continue
            self._fill({k: v for k, v in settings.params.items() if k not in self._pickers})
            self.last = settings
            picker.message.value = _restored_html(item.label, settings)
            return settings
        return None


def _settings_of(item: PickedImage) -> ImageSettings | None:
    value = item.value
    try:
        if isinstance(value, bytes):
            return read_settings(value)
        if is_url(value):
            return None
        return read_settings(Path(value))
    except OSError:  # a file gone since it was chosen: the picker says so itself
        return None


def _restored_html(label: str, settings: ImageSettings) -> str:
    names = [k.replace("_", " ") for k in settings.params]
    server = f" on the {settings.server}" if settings.server else ""
    made = f" (made by {settings.endpoint}{server})" if settings.endpoint else ""
    text = f"{label} carries its settings{made}: restored {', '.join(names)}."
    return f'<small style="color:#1b5e20">{escape(text)}</small>'
