"""What the Experiments tab does with the sweep it shows: Review, Leaderboard and Export.

:class:`SweepActions` holds those buttons, the preference format, the details area they write,
the review area and the browser downloader; ``SweepPanel`` places them. Its methods run on the
UI thread (a click hands them there; so do the panel's ``open_review``, ``show_leaderboard`` and
``export``).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets as w

from phota_widgets.experiments.exports.folder import export_sweep_folder, offline_export_note
from phota_widgets.experiments.exports.preferences import PREFERENCE_FORMATS
from phota_widgets.widgets._common import ErrorBox, styled, ui_call
from phota_widgets.widgets.download import Downloader, zip_folder
from phota_widgets.widgets.review import ReviewPanel
from phota_widgets.widgets.sweep_parts import action_button, note

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.result import SweepResult
    from phota_widgets.session import Session


class SweepActions:
    """Review, Leaderboard and Export on the sweep shown (their buttons off until one is).

    Args:
        session: the session (exports go under ``<output_dir>/exports`` by default).
        shown: returns the sweep shown (None when none is).
        error: the panel's error box.

    Attributes:
        review_button, leaderboard_button, export_format, export_button: the buttons' row.
        criteria_box: the criteria Review asks (comma-separated; empty: one overall winner).
        details: what Leaderboard and Export show.
        review_area: where Review opens; ``review`` is the open :class:`ReviewPanel`, or None.
        downloader: the browser downloads of Export.
    """

    def __init__(
        self, session: Session, shown: Callable[[], SweepResult | None], error: ErrorBox
    ) -> None:
        self._session = session
        self._shown = shown
        self._error = error
        self.review: ReviewPanel | None = None
        self.review_button = action_button("Review", "blind pairwise review", "sweep-review")
        self.criteria_box = styled(
            w.Text(
                placeholder="criteria, comma-separated (optional)",
                layout=w.Layout(width="16em"),
                tooltip="e.g. prompt adherence, realism: one winner per criterion per pair",
            ),
            "sweep-review-criteria",
        )
        self.leaderboard_button = action_button(
            "Leaderboard", "ranking with intervals", "sweep-board"
        )
        self.export_format = styled(
            w.Dropdown(options=PREFERENCE_FORMATS, value="trl", description="Preferences"),
            "sweep-export-format",
        )
        self.export_button = action_button(
            "Export", "report (HTML), table (CSV) and preference data", "sweep-export"
        )
        self.details = styled(w.HTML(), "sweep-details")
        self.downloader = Downloader()
        self.review_area = styled(w.VBox(), "sweep-review-area")
        self.review_button.on_click(lambda _: ui_call(self.open_review, None))
        self.leaderboard_button.on_click(lambda _: ui_call(self.leaderboard))
        self.export_button.on_click(lambda _: ui_call(self.export, None))

    def row(self) -> w.HBox:
        """The buttons' row."""
        return w.HBox(
            [
                self.review_button,
                self.criteria_box,
                self.leaderboard_button,
                self.export_format,
                self.export_button,
            ],
            layout=w.Layout(flex_flow="row wrap"),
        )

    def set_enabled(self, enabled: bool) -> None:
        """Turn the buttons on (a sweep is shown) or off."""
        for button in (self.review_button, self.leaderboard_button, self.export_button):
            button.disabled = not enabled

    def open_review(self, seed: int | None) -> None:
        """Open a :class:`ReviewPanel` on the sweep shown (on the UI thread)."""
        result = self._shown()
        if result is None:
            return
        typed = [c for c in self.criteria_box.value.split(",") if c.strip()]
        try:
            opened = ReviewPanel(result, seed=seed, criteria=typed or None)
        except ValueError as exc:  # criteria refused (repeated, too many): said, nothing opened
            self._error.show_error(exc)
            return
        self._error.clear()
        self.close_review()
        self.review = opened
        self.review_area.children = [self.review]

    def close_review(self) -> None:
        """Close the open review, if any."""
        if self.review is not None:
            old = self.review
            self.review = None
            self.review_area.children = []
            old.close()

    def leaderboard(self) -> None:
        """Show the sweep's leaderboard and position bias (on the UI thread)."""
        result = self._shown()
        if result is None:
            return
        from phota_widgets.experiments.review.report import review_boards_html

        self.details.value = review_boards_html(result, by_axis=False)

    def export(self, folder: str | Path | None) -> list[Path]:
        """Write the report, table and preference data, and send them to the browser as a zip.

        Returns:
            The files written (none when nothing is shown or the export failed: the error box
            says why).
        """
        result = self._shown()
        if result is None:
            return []
        exports = self._session.output_dir / "exports"
        target = Path(folder) if folder else exports / result.sweep_id
        if not folder and not target.resolve().is_relative_to(exports.resolve()):
            self._error.show_error(ValueError(f"refusing to export outside {exports}"))
            return []
        try:
            files = export_sweep_folder(result, target, self.export_format.value)
        except (OSError, ValueError) as exc:
            self._error.show_error(exc)
            return []
        # the folder also goes to the browser: on Voila or Binder the kernel's disk is not yours
        name = f"{result.sweep_id}-export.zip"
        self.downloader.download(name, zip_folder(target))
        items = "".join(f"<li><code>{escape(str(p))}</code></li>" for p in files)
        self.details.value = (
            f"<b>Exported</b> to the kernel's disk<ul>{items}</ul>"
            f"and sent to your browser as a download: <code>{escape(name)}</code> "
            "(the same files, with the images, each carrying its prompt and settings)."
            f"{note(offline_export_note(result)) if offline_export_note(result) else ''}"
        )
        return files
