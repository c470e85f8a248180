"""Parts of the Experiments tab: notes, labels, buttons, and totals that never go backwards."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

import ipywidgets as w

from phota_widgets.experiments.sweeps.axes import placeholders
from phota_widgets.widgets._common import styled


@dataclass
class Totals:
    """The highest figures shown for a sweep: a later reading never lowers them.

    A runner's live count, the run store's count and a cost estimate may disagree for a moment
    (or an actual cost may come in under its estimate); what the panel shows only goes up.
    """

    sweep_id: str | None = None
    ended: int = 0
    total: int = 0
    cost: float = 0.0
    _seen: dict[str, tuple[int, int, float]] = field(default_factory=dict)

    def update(self, sweep_id: str, ended: int, total: int, cost: float) -> Totals:
        """Take a reading of ``sweep_id``; returns self with the figures to show."""
        high = self._seen.get(sweep_id, (0, 0, 0.0))
        figures = (max(high[0], ended), max(high[1], total), max(high[2], cost))
        self._seen[sweep_id] = figures
        self.sweep_id = sweep_id
        self.ended, self.total, self.cost = figures
        return self


def earlier_note(shown: str | None, planned: str, running: bool) -> str:
    """A line above the grid when it shows another sweep than the form describes (else empty).

    Args:
        shown: the sweep in the grid (None: none).
        planned: the sweep the form describes ("" when it describes none yet).
        running: a sweep of this panel is under way (its grid is the one to show).
    """
    if shown is None or shown == planned or running:
        return ""
    return (
        '<div style="background:#fff4e5;border-left:3px solid #e08a00;padding:2px 8px">'
        f"<small><b>Earlier result</b> (sweep {escape(shown)}): the form now describes another "
        "sweep; Run makes it.</small></div>"
    )


def unfilled_placeholder(kwargs: dict[str, Any]) -> str | None:
    """Why a prompt with a ``{name}`` but no vars line is not planned (it would be sent as
    written, braces and all, and paid for), or None."""
    if kwargs.get("vars"):
        return None  # the sweep itself names a placeholder the vars do not define
    for number, prompt in enumerate(kwargs.get("prompts") or [], start=1):
        names = [n for n in placeholders(prompt) if n.isidentifier()]
        if names:
            return (
                f"Prompt {number} uses {{{names[0]}}}: add a vars line such as "
                f"'{names[0]}: value, value' to fill it."
            )
    return None


def sweep_label(info: Any) -> str:
    """An earlier sweep as the Earlier dropdown names it."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.created_at))
    name = info.name or info.sweep_id
    return f"{name} · {info.endpoint} · {info.cells} cells · {when}"


def note(text: str, error: bool = False) -> str:
    """A line of the plan view (red for a problem)."""
    colour = "#b00020" if error else "#555"
    return f'<div style="color:{colour}">{escape(text)}</div>'


def auto_width() -> w.Layout:
    """A layout as wide as the content."""
    return w.Layout(width="auto")


def action_button(description: str, tooltip: str, name: str) -> w.Button:
    """A button acting on the sweep shown (off until one is shown)."""
    button = w.Button(description=description, tooltip=tooltip, disabled=True, layout=auto_width())
    return styled(button, name)


class EarlierSweeps(w.HBox):  # type: ignore[misc]
    """The Earlier dropdown with Open and ↻: the stored sweeps to reopen.

    Attributes:
        earlier, open_button, reload_button: the row's parts.
    """

    def __init__(self) -> None:
        self.earlier = styled(w.Dropdown(options=[], description="Earlier"), "sweep-earlier")
        self.open_button = action_button("Open", "show an earlier sweep", "sweep-open")
        self.open_button.disabled = False
        self.reload_button = styled(
            w.Button(description="↻", tooltip="list the sweeps again", layout=auto_width()),
            "sweep-reload",
        )
        super().__init__([self.earlier, self.open_button, self.reload_button])

    def list(self, infos: Sequence[Any]) -> None:
        """List these stored sweeps (newest first), keeping the one chosen when still there."""
        options = [(sweep_label(i), i.sweep_id) for i in infos]
        current = self.earlier.value
        self.earlier.options = options
        ids = [i.sweep_id for i in infos]
        self.earlier.value = current if current in ids else (ids[0] if ids else None)
        self.open_button.disabled = not ids
