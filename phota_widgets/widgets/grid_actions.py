"""The output grid's row of actions: download, save to a folder, compare, before/after, send.

:class:`GridActions` holds the buttons and says which of them the grid's selection allows
(:meth:`GridActions.update`); what each button does is the grid's (``OutputGrid``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets as w

from phota_widgets.widgets._common import styled
from phota_widgets.widgets.grid_tile import button as _button

if TYPE_CHECKING:
    from phota_widgets.api.results import Result


class GridActions(w.HBox):  # type: ignore[misc]
    """Download, folder + Save, Compare two, Before/after and Send to (hidden until a result).

    Args:
        default_folder: where "save" writes unless the folder box says otherwise.

    Attributes:
        download_button, folder, save_button, compare_button, before_after_button,
        send_target, send_button: the row's parts.
    """

    def __init__(self, default_folder: str | Path) -> None:
        self.folder = styled(
            w.Text(
                value=str(default_folder),
                description="Folder",
                style={"description_width": "initial"},
            ),
            "save-folder",
        )
        self.save_button = _button(
            "Save to folder",
            "write the picked images (all when none is picked) to the folder on the kernel's disk",
            "save",
        )
        self.download_button = _button(
            "Download",
            "download the picked images to this computer (several as a zip; all when none is "
            "picked)",
            "download",
        )
        self.download_button.icon = "download"
        self.compare_button = _button("Compare two", "compare the two selected images", "compare")
        self.before_after_button = _button(
            "Before/after", "the input beside the selected output", "before-after"
        )
        self.send_target = styled(
            w.Dropdown(
                options=[],
                description="Send to",
                style={"description_width": "initial"},
                layout=w.Layout(width="auto"),
            ),
            "send-to",
        )
        self.send_button = _button("Send", "hand the selected image to that panel", "send")
        self.send_row = w.HBox([self.send_target, self.send_button])
        self.send_row.layout.display = "none"
        super().__init__(
            [
                self.download_button,
                self.folder,
                self.save_button,
                self.compare_button,
                self.before_after_button,
                self.send_row,
            ],
            layout=w.Layout(flex_flow="row wrap", display="none"),
        )

    def update(
        self,
        result: Result | None,
        *,
        picked: int,
        single: bool,
        has_before: bool,
        can_send: bool,
    ) -> str:
        """Enable what the grid's selection allows.

        Args:
            result: the result shown, or None.
            picked: how many outputs are picked.
            single: exactly one output is the target (picked, or the only one).
            has_before: the panel has an input image to show beside an output.
            can_send: there is a panel to send to and an output to send.

        Returns:
            Why Compare two is disabled ("" when it is enabled).
        """
        self.save_button.disabled = result is None
        self.download_button.disabled = result is None
        self.download_button.description = (
            f"Download {picked} picked" if picked else "Download all" if result else "Download"
        )
        self.compare_button.disabled = picked != 2
        why = "" if picked == 2 else f"pick exactly two to compare; {picked} picked"
        self.compare_button.tooltip = why or "compare the two picked images"
        self.before_after_button.layout.display = None if has_before else "none"
        self.before_after_button.disabled = not (has_before and single)
        self.send_button.disabled = not can_send
        return why
