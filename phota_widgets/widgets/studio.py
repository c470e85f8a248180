"""``Studio``: every panel in tabs, sharing one Session, with results flowing between them."""

from __future__ import annotations

import concurrent.futures
import importlib
from collections.abc import Callable, Mapping
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from phota_widgets.api.results import OutputImage, Result
from phota_widgets.widgets._common import close_tree, styled, ui_call
from phota_widgets.widgets._panel import CapabilityPanel
from phota_widgets.widgets.edit import EditPanel
from phota_widgets.widgets.enhance import EnhancePanel
from phota_widgets.widgets.generate import GeneratePanel
from phota_widgets.widgets.remix import RemixPanel

if TYPE_CHECKING:
    from phota_widgets.session import Session

SEND_TARGETS: dict[str, tuple[str, str]] = {
    "Edit": ("edit", "images"),
    "Enhance": ("enhance", "image"),
    "Remix input": ("remix", "input_image"),
    "Remix reference": ("remix", "reference_image"),
}
""""Send to" choices: name shown -> (panel, image parameter it fills)."""


class Studio(w.VBox):  # type: ignore[misc]
    """Generate, Edit, Enhance, Remix, Profiles and History in one set of tabs.

    Outputs move between tabs with each grid's "send to"; the History tab re-opens a run in
    its panel, or fills that panel with the run's parameters and runs it again.

    Args:
        session: the Session every tab shares (a new one when not given; it is closed by
            :meth:`close`).

    Attributes:
        panels: the capability panels by endpoint (``generate``, ``edit``, ...).
        profiles, history: the Profiles and History tabs (a note when unavailable).
        tabs: the Tab widget.
    """

    def __init__(self, session: Session | None = None) -> None:
        self._owns_session = session is None
        if session is None:
            from phota_widgets.session import Session

            session = Session()
        self.session = session
        self.generate = GeneratePanel(session)
        self.edit = EditPanel(session)
        self.enhance = EnhancePanel(session)
        self.remix = RemixPanel(session)
        self.panels: dict[str, CapabilityPanel] = {
            p.endpoint: p for p in (self.generate, self.edit, self.enhance, self.remix)
        }
        self.profiles = _optional_tab(
            "phota_widgets.widgets.profiles", "ProfilesPanel", lambda cls: cls(session)
        )
        self.history = _optional_tab(
            "phota_widgets.widgets.history",
            "HistoryPanel",
            lambda cls: cls(session, on_open=self.open_result, on_rerun=self.rerun),
        )
        for panel in self.panels.values():
            panel.grid.set_targets(list(SEND_TARGETS), self.send_output)
        pages: list[tuple[str, w.Widget]] = [
            *((p.title, p) for p in self.panels.values()),
            ("Profiles", self.profiles),
            ("History", self.history),
        ]
        self.tabs = styled(
            w.Tab(children=[page for _, page in pages], titles=[t for t, _ in pages]), "tabs"
        )
        self._names = [t for t, _ in pages]
        self.tabs.observe(self._on_tab, names="selected_index")
        where = "local stand-in server" if session.is_local else session.backend
        header = styled(
            w.HTML(f"<b>Phota Studio</b> · <small>{escape(where)}</small>"), "studio-header"
        )
        super().__init__(children=[header, self.tabs])
        styled(self, "studio")

    def select(self, name: str) -> concurrent.futures.Future[None]:
        """Show a tab by endpoint or title (``"edit"``, ``"History"``, ...).

        Returns:
            The future of the switch (the tab bar is written on the UI thread).

        Raises:
            ValueError: no tab has that name.
        """
        index = [t.lower() for t in self._names].index(name.lower())
        return ui_call(setattr, self.tabs, "selected_index", index)

    def send_output(self, target: str, image: OutputImage) -> None:
        """Hand an output to the panel a "send to" choice names, and show that panel."""
        endpoint, slot = SEND_TARGETS[target]
        self.panels[endpoint].set_input(image, slot)
        self.select(endpoint)

    def open_result(self, result: Result) -> None:
        """Show a recorded result in its panel's grid (History's "open", on the UI thread)."""
        panel = self.panels.get(result.endpoint)
        if panel is None:
            return
        panel.show_result(result)
        self.select(result.endpoint)

    def rerun(self, endpoint: str, params: Mapping[str, Any]) -> None:
        """Fill a panel with a run's parameters and run it again (History's "re-run")."""
        panel = self.panels[endpoint]
        self.select(endpoint)
        try:
            panel.rerun(params)
        except ValueError as exc:  # an input no longer in the store
            ui_call(panel.error.show_error, exc)

    def close(self) -> None:
        """Close the widgets, and the session when the Studio created it."""
        for page in self.tabs.children:
            close_tree(page)
        super().close()
        if self._owns_session:
            self.session.close()

    def _on_tab(self, change: Mapping[str, Any]) -> None:
        page = self.tabs.children[change["new"]] if change["new"] is not None else None
        refresh = getattr(page, "refresh", None)
        if page is self.history and callable(refresh):
            refresh()


def _optional_tab(module: str, name: str, make: Callable[[Any], w.Widget]) -> w.Widget:
    """Build a tab from another module, or a note saying why it is missing."""
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        note = f"{name} is not available: {exc}"
        return styled(w.HTML(f'<span style="color:#777">{escape(note)}</span>'), "missing-tab")
    return make(cls)
