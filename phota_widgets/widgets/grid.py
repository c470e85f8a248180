"""``OutputGrid``: a result's images as thumbnails to select, open, save, compare and send on.

Only JPEG thumbnails (at most 512 px) enter the widget state; "open" shows a preview of at most
1024 px with the path of the full image in the run store. The full bytes never leave the kernel.
Every write to the grid's widgets, and the image work of its buttons, runs on the UI thread:
those methods return a future and can be called from any thread.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from phota_widgets import display
from phota_widgets.api.results import OutputImage, Result
from phota_widgets.api.thumbnails import data_uri, thumbnail_jpeg
from phota_widgets.widgets._common import close_tree, styled, ui_method
from phota_widgets.widgets.copy_code import CopyCode
from phota_widgets.widgets.download import Downloader, output_name, zip_outputs
from phota_widgets.widgets.grid_actions import GridActions
from phota_widgets.widgets.grid_tile import (
    Tile,
    show_pick,
)
from phota_widgets.widgets.grid_tile import (
    header as _header,
)
from phota_widgets.widgets.grid_tile import (
    note as _note,
)

if TYPE_CHECKING:
    from phota_widgets.session import Session

SendCallback = Callable[[str, OutputImage], None]
"""``on_send(target_name, output_image)``: hands an output to another panel."""

BeforeImage = Callable[[], Any]
"""Returns the image a result was made from (bytes or a path), or None."""

MIN_THUMB_PX, MAX_THUMB_PX = 128, 512
PREVIEW_PX = 1024


class OutputGrid(w.VBox):  # type: ignore[misc]
    """Thumbnails of a result side by side, each with a select toggle and an open button.

    Args:
        session: records picks in its run store and locates full images (optional).
        thumb_px: longest side of the thumbnails (clamped to 128..512).
        before: returns the panel's input image, for before/after views.
        default_folder: where "save" writes unless the folder box says otherwise.
    """

    def __init__(
        self,
        session: Session | None = None,
        *,
        thumb_px: int = 256,
        before: BeforeImage | None = None,
        default_folder: str | Path = "phota-exports",
    ) -> None:
        self.session = session
        self.thumb_px = max(MIN_THUMB_PX, min(MAX_THUMB_PX, int(thumb_px)))
        self.before = before
        self.on_send: SendCallback | None = None
        self.result: Result | None = None
        self.thumbs: list[w.Image] = []
        self.toggles: list[w.ToggleButton] = []
        self.open_buttons: list[w.Button] = []
        self.cell_boxes: list[w.VBox] = []
        self.header = styled(w.HTML(), "grid-header")
        self.earlier = styled(w.HTML(), "grid-earlier")
        self.cells = styled(w.HBox(layout=w.Layout(flex_flow="row wrap")), "grid-cells")
        self._actions = actions = GridActions(default_folder)
        self.folder, self.save_button = actions.folder, actions.save_button
        self.download_button, self.compare_button = actions.download_button, actions.compare_button
        self.before_after_button = actions.before_after_button
        self.send_target, self.send_button = actions.send_target, actions.send_button
        self._send_row = actions.send_row
        self.downloader = Downloader()
        self.copy_code = CopyCode()  # the snippet that makes the result shown again
        self.message = styled(w.HTML(), "grid-message")
        self.hint = styled(w.HTML(), "grid-hint")
        self.preview = styled(w.Output(), "preview")
        self.save_button.on_click(lambda _: self.save())
        self.download_button.on_click(lambda _: self.download())
        self.compare_button.on_click(lambda _: self.compare())
        self.before_after_button.on_click(lambda _: self.before_after())
        self.send_button.on_click(lambda _: self.send_to())
        super().__init__(
            children=[
                self.earlier,
                self.header,
                self.preview,  # above the thumbnails: a compare or before/after opens in view
                self.cells,
                actions,
                self.copy_code,
                self.hint,
                self.message,
                self.downloader,
            ]
        )
        styled(self, "grid")

    # -- content ---------------------------------------------------------------------------------

    @ui_method
    def show_result(self, result: Result) -> None:
        """Show a result's images as thumbnails (picks recorded in the store are restored)."""
        picked = self._stored_picks(result)
        thumbs, toggles, buttons, cells = [], [], [], []
        for pos, image in enumerate(result.images):
            tile = Tile(image, self.thumb_px, image.index in picked)
            tile.toggle.observe(
                lambda change, p=pos: self._on_toggle(p, change["new"]), names="value"
            )
            tile.open_button.on_click(lambda _, p=pos: self.open_full(p))
            tile.download_button.on_click(lambda _, p=pos: self.download(p))
            thumb, toggle, button, cell = tile.thumb, tile.toggle, tile.open_button, tile
            thumbs.append(thumb)
            toggles.append(toggle)
            buttons.append(button)
            cells.append(cell)
        self.result = result
        self.thumbs, self.toggles, self.open_buttons = thumbs, toggles, buttons
        self.cell_boxes = cells
        self._replace_cells(cells)
        self.header.value = _header(result)
        self.earlier.value = ""
        restored = sorted(i for i in picked if any(i == img.index for img in result.images))
        self.message.value = (
            _note(
                f"{len(restored)} pick(s) of this run restored from the run store: "
                + ", ".join(f"#{i}" for i in restored)
            )
            if restored
            else ""
        )
        self.preview.outputs = ()
        self._actions.layout.display = None
        if self.session is not None:  # the code needs the store the inputs are in
            self.copy_code.show(self.session, result)
        self._refresh().result()  # inline on the UI thread: a failure raises

    @ui_method
    def clear(self) -> None:
        """Show nothing."""
        self.result = None
        self.thumbs, self.toggles, self.open_buttons = [], [], []
        self.cell_boxes = []
        self._replace_cells([])
        self.header.value = ""
        self.earlier.value = ""
        self.hint.value = ""
        self.message.value = ""
        self.preview.outputs = ()
        self._actions.layout.display = "none"
        self.copy_code.clear()

    @ui_method
    def mark_earlier(self, why: str) -> None:
        """Say above the grid that it shows an earlier run than the panel's last one."""
        if self.result is None:
            return
        run = f" (run {self.result.run_id})" if self.result.run_id else ""
        self.earlier.value = (
            '<div style="background:#fff4e5;border-left:3px solid #e08a00;padding:2px 8px">'
            f"<small><b>Earlier result{escape(run)}</b>: {escape(why)}</small></div>"
        )

    def _replace_cells(self, cells: list[w.VBox]) -> None:
        old = self.cells.children
        self.cells.children = cells
        for cell in old:  # closed, so old thumbnails leave the widget state
            close_tree(cell)

    def set_targets(
        self, names: Sequence[str], on_send: SendCallback | None
    ) -> concurrent.futures.Future[None]:
        """Offer "send to" these panels; ``on_send(name, image)`` delivers (Studio wires it)."""
        self.on_send = on_send
        return self._offer_targets(list(names))

    @ui_method
    def _offer_targets(self, names: list[str]) -> None:
        self.send_target.options = names
        if names and self.send_target.value is None:
            self.send_target.value = names[0]
        self._send_row.layout.display = None if names and self.on_send else "none"
        self._refresh().result()  # inline on the UI thread: a failure raises

    # -- selection -------------------------------------------------------------------------------

    @property
    def selected(self) -> list[OutputImage]:
        """The selected outputs, in order."""
        if self.result is None:
            return []
        return [self.result.images[p] for p, t in enumerate(self.toggles) if t.value]

    def select(self, *positions: int, picked: bool = True) -> None:
        """Select (or deselect) outputs by position, as clicking their toggles does."""
        for pos in positions:
            self.toggles[pos].value = picked

    def _on_toggle(self, pos: int, picked: bool) -> None:
        result = self.result
        if self.session is not None and result is not None and result.run_id:
            try:
                self.session.store.set_pick(result.run_id, result.images[pos].index, picked)
            except KeyError as exc:
                self._say(f"pick not recorded: {exc}", error=True)
        self._refresh()

    def _stored_picks(self, result: Result) -> set[int]:
        if self.session is None or not result.run_id:
            return set()
        try:
            record = self.session.store.get(result.run_id)
        except KeyError:
            return set()
        return {o.index for o in record.outputs if o.picked}

    def _target_images(self) -> list[OutputImage]:
        """The selection, or the only output when there is one."""
        chosen = self.selected
        if not chosen and self.result is not None and len(self.result.images) == 1:
            chosen = list(self.result.images)
        return chosen

    @ui_method
    def _refresh(self) -> None:
        count = len(self.selected)
        single = len(self._target_images()) == 1
        self._show_picks()
        why = self._actions.update(
            self.result,
            picked=count,
            single=single,
            has_before=self.before is not None,
            can_send=bool(self.on_send and self.send_target.options and self._target_images()),
        )
        self.hint.value = (
            f'<small style="color:#777">Compare two: {escape(why)}</small>'
            if why and self.result is not None and len(self.result.images) > 1
            else ""
        )

    def _show_picks(self) -> None:
        """A picked output gets a green frame, a "picked" label and the ``phota-picked`` class."""
        for toggle, cell in zip(self.toggles, self.cell_boxes, strict=False):
            show_pick(cell, toggle)

    # -- actions ---------------------------------------------------------------------------------

    @ui_method
    def open_full(self, pos: int) -> None:
        """Preview one output at up to 1024 px, with the path of the full image."""
        if self.result is None:
            return
        image = self.result.images[pos]
        path = self._stored_path(image)
        where = f"full image: <code>{escape(str(path))}</code>" if path else "not in the run store"
        src = data_uri(thumbnail_jpeg(image.data, max_px=PREVIEW_PX))
        html = (
            f'<figure class="phota-full" style="margin:0"><img src="{src}" '
            'style="max-width:100%;height:auto"/>'
            f"<figcaption><small>#{image.index} · {where}</small></figcaption></figure>"
        )
        self._show(html, f"output #{image.index}: {path or 'not in the run store'}")

    @ui_method
    def save(self, folder: str | Path | None = None) -> list[Path]:
        """Write the selected outputs (all when none is selected) to a folder.

        Returns:
            (Through the future) the files written; none when the folder is not writable.
        """
        if self.result is None:
            return []
        target = Path(folder or self.folder.value or ".").expanduser()
        images = self.selected or list(self.result.images)
        try:
            target.mkdir(parents=True, exist_ok=True)
            stem = f"{self.result.endpoint}_{(self.result.run_id or 'run')[:12]}"
            paths = [img.save(target / f"{stem}_{img.index}.{img.format}") for img in images]
        except OSError as exc:
            self._say(f"could not save: {exc}", error=True)
            return []
        self._say(f"saved {len(paths)} image(s) to {target}")
        return paths

    @ui_method
    def download(self, pos: int | None = None) -> str | None:
        """Send outputs to the browser as a download (built now, never kept in widget state).

        Args:
            pos: one output by position; by default the picked ones (all when none is
                picked), several as one zip.

        Returns:
            (Through the future) the file name handed to the browser, or None.
        """
        result = self.result
        if result is None:
            return None
        images = [result.images[pos]] if pos is not None else self.selected or list(result.images)
        stem = f"{result.endpoint}_{(result.run_id or 'run')[:12]}"
        if len(images) == 1:
            name, data = output_name(stem, images[0]), images[0].tagged_data()
        else:
            name, data = f"{stem}.zip", zip_outputs(stem, images)
        self.downloader.download(name, data)
        self._say(f"download of {name} sent to your browser ({len(images)} image(s))")
        return name

    @ui_method
    def compare(self) -> None:
        """Show the two selected outputs side by side."""
        chosen = self.selected
        if len(chosen) != 2:
            self._say("select exactly two images to compare", error=True)
            return
        a, b = chosen
        labels = (f"#{a.index}", f"#{b.index}")
        html = display.compare(a, b, labels=labels).html
        self._show(html, f"compare {labels[0]} and {labels[1]}")

    @ui_method
    def before_after(self) -> None:
        """Show the panel's input beside the selected output."""
        before = self.before() if self.before is not None else None
        chosen = self._target_images()
        if before is None or len(chosen) != 1:
            self._say("needs an input image and one selected output", error=True)
            return
        after = chosen[0]
        html = display.before_after(before, after).html
        self._show(html, f"before/after #{after.index}")

    def send_to(self, target: str | None = None) -> None:
        """Hand the selected output (or the only one) to another panel.

        ``on_send`` runs on the caller's thread (the kernel for a click): it fills the other
        panel's input controls, which the kernel writes.
        """
        name = target or self.send_target.value
        chosen = self._target_images()
        if self.on_send is None or not name:
            self._say("no panel to send to", error=True)
            return
        if not chosen:
            self._say("select an image to send", error=True)
            return
        for image in chosen:
            self.on_send(name, image)
        indexes = ", ".join(f"#{img.index}" for img in chosen)
        self._say(f"sent {indexes} to {name}")

    def _stored_path(self, image: OutputImage) -> Path | None:
        result = self.result
        if self.session is None or result is None or not result.run_id:
            return None
        try:
            outputs = self.session.store.get(result.run_id).outputs
        except KeyError:
            return None
        return next((o.path for o in outputs if o.index == image.index), None)

    @ui_method
    def _show(self, html: str, text: str) -> None:
        self.preview.outputs = (
            {
                "output_type": "display_data",
                "data": {"text/html": html, "text/plain": text},
                "metadata": {},
            },
        )

    @ui_method
    def _say(self, text: str, *, error: bool = False) -> None:
        color = "#b00020" if error else "#555"
        self.message.value = f'<small style="color:{color}">{escape(text)}</small>'
