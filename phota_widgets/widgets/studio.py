"""``Studio``: every panel in tabs, sharing one Session, with results flowing between them."""

from __future__ import annotations

import concurrent.futures
import importlib
from collections.abc import Callable, Mapping
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from phota_widgets.api.models import ProfileSummary
from phota_widgets.api.results import OutputImage, Result
from phota_widgets.widgets._common import close_tree, styled, ui_call
from phota_widgets.widgets._panel import CapabilityPanel
from phota_widgets.widgets.edit import EditPanel
from phota_widgets.widgets.enhance import EnhancePanel
from phota_widgets.widgets.generate import GeneratePanel
from phota_widgets.widgets.login import LoginBox
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
    """Generate, Edit, Enhance, Remix, Profiles, History and Experiments in one set of tabs.

    Outputs move between tabs with each grid's "send to"; the History tab re-opens a run in
    its panel, or fills that panel with the run's parameters and runs it again. The header
    names the backend in use and holds the login box; it follows a login (``session.use_key``)
    or a switch back to the offline server.

    Args:
        session: the Session every tab shares (a new one when not given; it is closed by
            :meth:`close`).

    Attributes:
        panels: the capability panels by endpoint (``generate``, ``edit``, ...).
        profiles, history, experiments: the Profiles, History and Experiments
            (:class:`SweepPanel`) tabs (a note when unavailable).
        tabs: the Tab widget.
        header: the title line naming the backend.
        login_box: the key box in the header (and the way back to the offline server).
        offline_notice: a styled line while the embedded local server answers (empty after a
            login).
    """

    def __init__(self, session: Session | None = None) -> None:
        self._owns_session = session is None
        if session is None:
            from phota_widgets.session import Session

            session = Session(announce=False)  # the Studio shows the offline notice itself
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
        self.experiments = _optional_tab(
            "phota_widgets.widgets.sweep", "SweepPanel", lambda cls: cls(session)
        )
        for panel in self.panels.values():
            panel.grid.set_targets(list(SEND_TARGETS), self.send_output)
        pages: list[tuple[str, w.Widget]] = [
            *((p.title, p) for p in self.panels.values()),
            ("Profiles", self.profiles),
            ("History", self.history),
            ("Experiments", self.experiments),
        ]
        self.tabs = styled(
            w.Tab(children=[page for _, page in pages], titles=[t for t, _ in pages]), "tabs"
        )
        self._names = [t for t, _ in pages]
        self.tabs.observe(self._on_tab, names="selected_index")
        self.header = styled(w.HTML(self._header_html()), "studio-header")
        self.login_box = LoginBox(session, on_switch=lambda: ui_call(self._show_backend))
        self.login_box.message.layout.display = "none"  # the title line says the backend
        self.top = styled(
            w.HBox(
                [self.header, self.login_box],
                layout=w.Layout(
                    flex_flow="row wrap",
                    justify_content="space-between",
                    align_items="flex-start",
                    width="100%",
                ),
            ),
            "studio-top",
        )
        self.offline_notice = styled(w.HTML(self._notice_html()), "offline-notice")
        super().__init__(
            children=[self.top, self.offline_notice, self.tabs], layout=w.Layout(width="100%")
        )
        styled(self, "studio")
        session.on_profiles_changed(self._profiles_changed)

    def _header_html(self) -> str:
        session = self.session
        if session.is_local:
            where = (
                '<span style="color:#8a5a00">offline · local stand-in server '
                "(not Phota's models, no cost)</span>"
            )
        else:
            where = f'<span style="color:#1b5e20">Phota API · {escape(session.backend)}</span>'
        return f'<b style="font-size:1.2em">Phota Studio</b><br/><small>{where}</small>'

    def _notice_html(self) -> str:
        """A styled line saying the embedded server answers (empty with a real key)."""
        if not self.session.is_local:
            return ""
        return (
            '<div style="background:#fff8e1;border-left:4px solid #f0a500;padding:4px 10px;'
            'margin:2px 0 6px 0;font-size:0.92em">Offline: results are made on this machine by '
            "the embedded stand-in server (real image processing, not Phota's models). Enter a "
            "Phota API key above to use the real API.</div>"
        )

    def _show_backend(self) -> None:
        """Name the session's backend in the header (on the UI thread)."""
        html = self._header_html()
        if self.header.value != html:
            self.header.value = html
        notice = self._notice_html()
        if self.offline_notice.value != notice:
            self.offline_notice.value = notice

    def _profiles_changed(self, _profiles: list[ProfileSummary]) -> None:
        """The session listed its profiles again, as it does after a login (on its loop)."""
        ui_call(self._show_backend)

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

    def open_result(self, result: Result) -> concurrent.futures.Future[None]:
        """Show a recorded result in its panel's grid and show that tab (History's "open").

        Returns:
            The future of the showing: failed when the result cannot be shown (the tab then
            stays where it is, so the History's error box says why).

        Raises:
            ValueError: no panel makes results of that endpoint.
        """
        panel = self.panels.get(result.endpoint)
        if panel is None:
            raise ValueError(f"the Studio has no {result.endpoint!r} panel to show this run in")
        shown = panel.show_result(result)

        def select(future: concurrent.futures.Future[None]) -> None:
            if not future.cancelled() and future.exception() is None:
                self.select(result.endpoint)

        shown.add_done_callback(select)
        return shown

    def rerun(self, endpoint: str, params: Mapping[str, Any]) -> None:
        """Fill a panel with a run's parameters and run it again (History's "re-run").

        Raises:
            RuntimeError: that panel is running (nothing is changed; History says so).
        """
        panel = self.panels[endpoint]
        try:
            panel.rerun(params)
        except ValueError as exc:  # an input no longer in the store
            ui_call(panel.error.show_error, exc)
        self.select(endpoint)

    def close(self) -> None:
        """Stop every tab's work, close every widget, and the session if the Studio made it."""
        pages = list(self.tabs.children)
        for page in pages:
            page.close()  # each panel cancels its work, then closes what is inside it
        close_tree(self, super().close, keep=pages)
        if self._owns_session:
            self.session.close()

    def _on_tab(self, change: Mapping[str, Any]) -> None:
        ui_call(self._show_backend)
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
