"""What the History tab does with several runs: outputs side by side, CSV and report downloads.

A run's key settings and picks are described here too (:func:`run_settings`, :func:`picks_of`).
Images are read in worker threads of the session's loop; widgets are written on the UI thread;
exports are built on a click and go to the browser as downloads (never into widget state).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

import ipywidgets as w

from phota_widgets import display
from phota_widgets.api.provenance import server_name
from phota_widgets.csv_export import csv_bytes
from phota_widgets.widgets._common import ErrorBox, styled, ui_await
from phota_widgets.widgets.download import Downloader
from phota_widgets.widgets.history_report import history_report

if TYPE_CHECKING:
    from phota_widgets.api.results import OutputImage
    from phota_widgets.session import Session
    from phota_widgets.store import RunRecord

SETTINGS = ("aspect_ratio", "resolution", "base_model")
"""The settings a History row shows (besides the prompt)."""

CSV_COLUMNS = (
    "run_id",
    "created",
    "endpoint",
    "status",
    "prompt",
    *SETTINGS,
    "outputs",
    "picked",
    "cost",
    "elapsed_s",
    "request_id",
    "server",
)


def run_settings(record: RunRecord) -> str:
    """``16:9 · 2K · nb2``: the run's key settings that it recorded (empty when none)."""
    return " · ".join(str(record.params[k]) for k in SETTINGS if record.params.get(k))


def picks_of(record: RunRecord) -> list[int]:
    """The indexes of the run's picked outputs."""
    return [o.index for o in record.outputs if o.picked]


def runs_csv(records: Sequence[RunRecord]) -> bytes:
    """The runs as CSV (UTF-8), one row each, with the columns of :data:`CSV_COLUMNS` (text that
    a spreadsheet would run as a formula is quoted: see :mod:`phota_widgets.csv_export`)."""
    rows = []
    for r in records:
        created = datetime.fromtimestamp(r.created_at).isoformat(timespec="seconds")
        rows.append(
            [
                r.run_id,
                created,
                r.endpoint,
                r.status,
                r.prompt or "",
                *(r.params.get(k, "") for k in SETTINGS),
                len(r.outputs),
                " ".join(str(i) for i in picks_of(r)),
                "" if r.cost is None else f"{r.cost:.4f}",
                "" if r.elapsed is None else f"{r.elapsed:.2f}",
                r.request_id or "",
                server_name(r.backend),
            ]
        )
    return csv_bytes(CSV_COLUMNS, rows)


class HistoryTools(w.VBox):  # type: ignore[misc]
    """Side by side, Export CSV and Export report, for the runs a History panel shows.

    Args:
        session: the session whose runs are read.
        visible: the runs on screen now.
        checked: the runs ticked for "side by side".
        show: puts an HTML view in the History panel's output area (on the UI thread).
    """

    def __init__(
        self,
        session: Session,
        visible: Callable[[], list[RunRecord]],
        checked: Callable[[], list[RunRecord]],
        show: Callable[[display.HTMLView], None],
    ) -> None:
        self._session = session
        self._visible = visible
        self._checked = checked
        self._show = show
        self.side_by_side_button = _button(
            "Side by side",
            "the picked outputs (or all) of the ticked runs, side by side",
            "columns",
            "history-side-by-side",
        )
        self.csv_button = _button(
            "Export CSV", "download the runs shown as a CSV table", "table", "history-export-csv"
        )
        self.report_button = _button(
            "Export report",
            "download the runs shown as a self-contained HTML report",
            "file",
            "history-export-report",
        )
        self.message = styled(w.HTML(), "history-tools-message")
        self.error = ErrorBox()
        self.downloader = Downloader()
        self.side_by_side_button.on_click(lambda _: self.side_by_side())
        self.csv_button.on_click(lambda _: self.export_csv())
        self.report_button.on_click(lambda _: self.export_report())
        row = w.HBox(
            [self.side_by_side_button, self.csv_button, self.report_button, self.message],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        super().__init__(children=[row, self.error, self.downloader])
        styled(self, "history-tools")

    def side_by_side(self) -> concurrent.futures.Future[int]:
        """Show the ticked runs' picked outputs (all outputs of a run with no pick) together.

        Returns:
            The future of the number of images shown.
        """
        return self._session.loop.submit(self._aside_by_side(self._checked()))

    async def _aside_by_side(self, records: list[RunRecord]) -> int:
        await ui_await(self.error.clear)
        if not records:
            await ui_await(self._say, "tick the runs to put side by side (the box on each row)")
            return 0
        images: list[OutputImage] = []
        labels: list[str] = []
        try:
            for record in records:
                result = await asyncio.to_thread(self._session.result, record.run_id)
                picked = set(picks_of(record))
                for image in result.images:
                    if not picked or image.index in picked:
                        images.append(image)
                        labels.append(f"{_short(record)} #{image.index}")
            view = await asyncio.to_thread(
                display.show, images, 4, labels, f"{len(records)} runs side by side"
            )
        except Exception as exc:  # a run or image gone from the store
            await ui_await(self.error.show_error, exc)
            return 0
        await ui_await(self._show, view)
        await ui_await(self._say, f"{len(images)} image(s) from {len(records)} run(s)")
        return len(images)

    def export_csv(self) -> concurrent.futures.Future[str]:
        """Download the runs shown as CSV. Returns the future of the file name."""
        return self._session.loop.submit(self._aexport_csv(self._visible()))

    async def _aexport_csv(self, records: list[RunRecord]) -> str:
        name = f"phota-runs-{_stamp()}.csv"
        data = runs_csv(records)
        await ui_await(self._hand_over, name, data, f"{len(records)} run(s)")
        return name

    def export_report(self) -> concurrent.futures.Future[str | None]:
        """Download the runs shown as an HTML report (every image, the picks marked, settings,
        failures with their error); the future of its name."""
        return self._session.loop.submit(self._aexport_report(self._visible()))

    async def _aexport_report(self, records: list[RunRecord]) -> str | None:
        await ui_await(self.error.clear)
        name = f"phota-report-{_stamp()}.html"
        try:
            view = await asyncio.to_thread(history_report, self._session.store, records)
        except Exception as exc:  # a run or image gone from the store
            await ui_await(self.error.show_error, exc)
            return None
        await ui_await(self._hand_over, name, view.page().encode("utf-8"), f"{len(records)} run(s)")
        return name

    def _hand_over(self, name: str, data: bytes, what: str) -> None:
        self.downloader.download(name, data)
        self._say(f"{name} ({what}) sent to your browser as a download")

    def _say(self, text: str) -> None:
        self.message.value = f'<small style="color:#555">{escape(text)}</small>'


def _short(record: RunRecord) -> str:
    prompt = display.excerpt(record.prompt, 24) if record.prompt else record.endpoint
    return f"{prompt} ({record.run_id[:6]})"


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def _button(description: str, tooltip: str, icon: str, name: str) -> w.Button:
    button = w.Button(
        description=description, tooltip=tooltip, icon=icon, layout=w.Layout(width="auto")
    )
    return styled(button, name)
