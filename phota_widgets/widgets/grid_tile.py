"""One output in a grid: its thumbnail, size line, pick toggle, open and download buttons.

A picked tile is framed in green, its toggle says "✓ picked" and it has the ``phota-picked``
class (:func:`show_pick`). Also the grid's small HTML helpers.
"""

from __future__ import annotations

from html import escape

import ipywidgets as w

from phota_widgets.api.results import OutputImage, Result
from phota_widgets.api.thumbnails import thumbnail_jpeg
from phota_widgets.widgets._common import styled

PICKED_BORDER, UNPICKED_BORDER = "3px solid #2e7d32", "3px solid transparent"


class Tile(w.VBox):  # type: ignore[misc]
    """An output's thumbnail with its size line and its pick / open / download buttons.

    Args:
        image: the output.
        thumb_px: longest side of the thumbnail.
        picked: whether it starts picked (a pick recorded in the run store).
    """

    def __init__(self, image: OutputImage, thumb_px: int, picked: bool) -> None:
        self.thumb = styled(
            w.Image(
                value=thumbnail_jpeg(image.data, max_px=thumb_px),
                format="jpeg",
                layout=w.Layout(max_width=f"{thumb_px}px"),
            ),
            "thumb",
        )
        self.toggle = styled(
            w.ToggleButton(
                value=picked,
                description="pick",
                tooltip="pick this output (picks are recorded with the run)",
                layout=w.Layout(width="auto"),
            ),
            "select",
        )
        self.open_button = button("open", "a larger preview and the file path", "open")
        self.open_button.disabled = False
        self.download_button = button("", "download this image to this computer", "download-one")
        self.download_button.icon, self.download_button.disabled = "download", False
        width, height = image.size
        label = w.HTML(f"<small>#{image.index} · {width}×{height} {image.format}</small>")
        super().__init__(
            [self.thumb, label, w.HBox([self.toggle, self.open_button, self.download_button])],
            layout=w.Layout(margin="0 8px 8px 0", padding="3px", border=UNPICKED_BORDER),
        )
        styled(self, "cell")


def show_pick(tile: w.VBox, toggle: w.ToggleButton) -> None:
    """Frame and label a tile as its toggle says (on the UI thread)."""
    picked = bool(toggle.value)
    description = "✓ picked" if picked else "pick"
    if toggle.description == description:
        return
    toggle.description = description
    toggle.button_style = "success" if picked else ""
    tile.layout.border = PICKED_BORDER if picked else UNPICKED_BORDER
    if picked:
        tile.add_class("phota-picked")
    else:
        tile.remove_class("phota-picked")


def note(text: str) -> str:
    """A grey line of small text (escaped)."""
    return f'<small style="color:#555">{escape(text)}</small>'


def button(description: str, tooltip: str, name: str) -> w.Button:
    """A disabled, auto-width button with the class ``phota-<name>``."""
    button = w.Button(
        description=description, tooltip=tooltip, disabled=True, layout=w.Layout(width="auto")
    )
    return styled(button, name)


def header(result: Result) -> str:
    """The line above the thumbnails: what the run was, and its notes."""
    parts = [result.endpoint, f"{len(result.images)} image(s)", f"{result.elapsed:.1f}s"]
    if result.cost_estimate is not None:
        parts.append(f"~${result.cost_estimate:.2f}")
    if result.run_id:
        parts.append(f"run {result.run_id}")
    if result.request_id:
        parts.append(f"request {result.request_id}")
    if result.known_subjects:
        parts.append("profiles: " + ", ".join(result.known_subjects))
    notes = "".join(f"<br/><small>{escape(n)}</small>" for n in result.notes)
    return f"<b>{escape(' · '.join(parts))}</b>{notes}"
