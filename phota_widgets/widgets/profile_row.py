"""``ProfileRow``: one profile of the Profiles panel, with a confirmation step before Delete."""

from __future__ import annotations

from html import escape

import ipywidgets as w

from phota_widgets.api.models import ProfileStatus, ProfileSummary
from phota_widgets.widgets._common import styled, ui_method

_STATUS_COLOURS = {
    ProfileStatus.READY: "#1b5e20",
    ProfileStatus.ERROR: "#b00020",
    ProfileStatus.INACTIVE: "#b00020",
}


class ProfileRow(w.HBox):  # type: ignore[misc]
    """One profile: picture, id, tag, status, and Delete with a confirmation step.

    Built and written on the UI thread (``ask`` and ``dismiss`` hand themselves to it).

    Attributes:
        profile_id: the profile's id.
        state: the last status seen (None until known).
    """

    def __init__(self, summary: ProfileSummary) -> None:
        self.profile_id = summary.profile_id
        self.tag_text = summary.tag
        self.state: ProfileStatus | None = None
        self.picture = styled(
            w.Image(format="jpeg", layout=w.Layout(width="64px", height="64px")),
            "profile-picture",
        )
        self.info = styled(w.HTML(layout=w.Layout(flex="1 1 auto")), "profile-info")
        self.delete_button = styled(
            w.Button(description="Delete", icon="trash", layout=w.Layout(width="90px")),
            "profile-delete",
        )
        self.confirm_button = styled(
            w.Button(description="Yes", button_style="danger", layout=w.Layout(width="60px")),
            "profile-confirm",
        )
        self.cancel_button = styled(
            w.Button(description="No", layout=w.Layout(width="60px")), "profile-cancel"
        )
        self.confirm_box = w.HBox(
            [w.HTML("<b>Confirm delete?</b>&nbsp;"), self.confirm_button, self.cancel_button],
            layout=w.Layout(display="none", align_items="center"),
        )
        self.delete_button.on_click(lambda _b: self.ask())
        self.cancel_button.on_click(lambda _b: self.dismiss())
        super().__init__(
            [self.picture, self.info, self.delete_button, self.confirm_box],
            layout=w.Layout(align_items="center", border_bottom="1px solid #eee"),
        )
        styled(self, "profile-row")
        self.set_status(summary.status, None)

    def set_status(self, status: ProfileStatus | None, message: str | None) -> None:
        """Show a status (and its message, if any)."""
        self.state = status
        text = status.value if status is not None else "status unknown"
        colour = _STATUS_COLOURS.get(status, "#8a6d00") if status is not None else "#777"
        tag = f" · tag <i>{escape(self.tag_text)}</i>" if self.tag_text else ""
        note = f"<br/><small>{escape(message)}</small>" if message else ""
        self.info.value = (
            f"<code>{escape(self.profile_id)}</code>{tag} · "
            f'<span style="color:{colour}">{escape(text)}</span>{note}'
        )

    @ui_method
    def ask(self) -> None:
        """First step of deleting: show "Confirm delete?" with Yes / No."""
        self.delete_button.disabled = True
        self.confirm_box.layout.display = "flex"

    @ui_method
    def dismiss(self) -> None:
        """Hide the confirmation (No)."""
        self.confirm_box.layout.display = "none"
        self.delete_button.disabled = False
