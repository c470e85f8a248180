"""History's backend filter: all runs, or only those of the backend the session uses now.

"This backend" follows a switch (a login, or back to the offline server): its label names the
new backend and the listing is made again, so runs of the old backend are not shown as if they
were the new one's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import ipywidgets as w

from phota_widgets.api.models import ProfileSummary
from phota_widgets.widgets._common import styled, ui_call

if TYPE_CHECKING:
    from phota_widgets.session import Session

ALL = "all"
CURRENT = "current"


def backend_label(session: Session) -> str:
    """The session's backend as a person names it."""
    if session.is_local:
        return "offline stand-in"
    return urlsplit(session.backend).netloc or session.backend


class BackendFilter(w.Dropdown):  # type: ignore[misc]
    """A dropdown: "all backends" or "this backend (<name>)", following the session's switches.

    Args:
        session: the session whose backend "this backend" means.
        on_switch: called on the UI thread after the backend changed (History lists again).
    """

    def __init__(self, session: Session, on_switch: Callable[[], object]) -> None:
        self._session = session
        self._on_switch = on_switch
        self._shown = session.backend_id
        super().__init__(
            options=self._options(), value=ALL, description="backend",
            layout=w.Layout(width="260px"),
        )  # fmt: skip
        styled(self, "history-backend")
        session.on_profiles_changed(self._profiles_listed)  # listed again after every switch

    def _options(self) -> list[tuple[str, str]]:
        return [("all backends", ALL), (f"this backend ({backend_label(self._session)})", CURRENT)]

    def query(self) -> str | None:
        """The store filter for the choice (None: every backend)."""
        if self.value != CURRENT:
            return None
        return "local" if self._session.is_local else self._session.backend

    def _profiles_listed(self, _profiles: list[ProfileSummary]) -> None:
        """Called on the session's loop; relabels and relists when the backend changed."""
        if self._session.backend_id != self._shown:
            ui_call(self._follow)

    def _follow(self) -> None:
        self._shown = self._session.backend_id
        if self.comm is None:  # closed
            return
        chosen = 1 if self.query() is not None else 0
        self.options = self._options()  # may reset the choice: keep the user's
        self.index = chosen
        self._on_switch()
