"""One row of the History panel: a recorded run's thumbnails, what it was, and its buttons.

The row's text (endpoint, status, prompt excerpt, key settings, picks, cost, time and any error)
is escaped HTML; a run still "submitted" (kept on the server) also gets a "collect" button.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

import ipywidgets as w

from phota_widgets import display
from phota_widgets.widgets._common import styled
from phota_widgets.widgets.grid_tile import PICKED_BORDER
from phota_widgets.widgets.history_tools import picks_of, run_settings
from phota_widgets.widgets.wording import for_people

if TYPE_CHECKING:
    from phota_widgets.store import RunRecord

THUMBS_PER_ROW = 4
"""Outputs shown per run."""

_STATUS_COLOURS = {"succeeded": "#1b5e20", "failed": "#b00020", "cancelled": "#777"}


class HistoryRow(w.HBox):  # type: ignore[misc]
    """One recorded run: thumbnails, what it was, and its open / re-run (/ collect) buttons.

    Attributes:
        run_id: the run store's id.
        record: the run as recorded when the row was built.
    """

    def __init__(self, record: RunRecord) -> None:
        self.run_id = record.run_id
        self.record = record
        self.thumbs = [
            w.Image(
                format="jpeg",
                layout=w.Layout(
                    max_height="64px",
                    max_width="64px",
                    border=PICKED_BORDER if output.picked else "2px solid transparent",
                ),
            )
            for output in record.outputs[:THUMBS_PER_ROW]
        ]
        more = len(record.outputs) - THUMBS_PER_ROW
        extra = [w.HTML(f"<small>+{more}</small>")] if more > 0 else []
        strip = w.HBox(
            [*self.thumbs, *extra],
            layout=w.Layout(width=f"{64 * THUMBS_PER_ROW + 24}px", min_width="120px"),
        )
        self.info = styled(
            w.HTML(_describe(record), layout=w.Layout(flex="1 1 auto")), "history-info"
        )
        self.open_button = _row_button("open", "show this run's outputs", "history-open")
        self.open_button.disabled = not record.outputs
        self.rerun_button = _row_button(
            "re-run",
            "run again with the same parameters (costs the same again)",
            "history-rerun",
        )
        self.check = styled(
            w.Checkbox(
                value=False,
                indent=False,
                description="",
                tooltip="tick to put this run's outputs side by side with other runs",
                layout=w.Layout(width="28px"),
            ),
            "history-check",
        )
        self.check.disabled = not record.outputs
        self.collect_button: w.Button | None = None
        buttons = [self.open_button, self.rerun_button]
        if record.status == "submitted":  # kept on the server: collect it, don't pay again
            self.collect_button = _row_button(
                "collect", "fetch this kept job's images (nothing is paid again)", "history-collect"
            )
            buttons.append(self.collect_button)
        super().__init__(
            [self.check, strip, self.info, *buttons],
            layout=w.Layout(align_items="center", border_bottom="1px solid #eee"),
        )
        styled(self, "history-row")

    def show_thumbs(self, values: Sequence[bytes | None]) -> None:
        """Fill the thumbnails (None leaves a cell empty); on the UI thread."""
        for image, value in zip(self.thumbs, values, strict=False):
            if value:
                image.value = value


def _row_button(description: str, tooltip: str, name: str) -> w.Button:
    button = w.Button(description=description, tooltip=tooltip, layout=w.Layout(width="70px"))
    return styled(button, name)


def _describe(record: RunRecord) -> str:
    """A row's text: endpoint, status, prompt excerpt, cost and time (all escaped)."""
    when = datetime.fromtimestamp(record.created_at).strftime("%Y-%m-%d %H:%M:%S")
    colour = _STATUS_COLOURS.get(record.status, "#8a6d00")
    cost = f" · ${record.cost:.2f}" if record.cost is not None else ""
    prompt = display.excerpt(record.prompt, 70) if record.prompt else "<no prompt>"
    settings = run_settings(record)
    picks = picks_of(record)
    extra = f" · {settings}" if settings else ""
    extra += f" · picked {', '.join(f'#{i}' for i in picks)}" if picks else ""
    error = (
        f"<br/><small>{escape(display.excerpt(for_people(record.error), 120))}</small>"
        if record.error
        else ""
    )
    return (
        f"<b>{escape(record.endpoint)}</b> "
        f'<span style="color:{colour}">{escape(record.status)}</span>{escape(cost)} · '
        f'<small style="color:#666">{when} · {escape(record.run_id)}</small><br/>'
        f'{escape(prompt)}<small style="color:#555">{escape(extra)}</small>{error}'
    )
