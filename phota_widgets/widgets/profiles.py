"""``ProfilesPanel``: list, train, watch and delete the account's identity profiles."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from phota_widgets.api.errors import InvalidRequestError, NotFoundError, PhotaError
from phota_widgets.api.images import ImageInput, is_url
from phota_widgets.api.models import (
    TRAINING_IMAGE_COUNTS,
    ProfileStatus,
    ProfileSummary,
    TrainingTier,
)
from phota_widgets.api.profiles import DEFAULT_PROFILE_POLL
from phota_widgets.api.thumbnails import thumbnail_jpeg
from phota_widgets.widgets._common import ErrorBox, StatusLine, close_tree, styled

if TYPE_CHECKING:
    from phota_widgets.session import Session

LOCAL_POLL = 2.0
"""Seconds between status polls against the embedded server (it trains in seconds)."""

PICTURE_PX = 96
"""Longest side of a row's profile picture."""

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"})
"""Files a training folder contributes."""

_STATUS_COLOURS = {
    ProfileStatus.READY: "#1b5e20",
    ProfileStatus.ERROR: "#b00020",
    ProfileStatus.INACTIVE: "#b00020",
}


def tier_rule(tier: str) -> str:
    """The image-count rule of a training tier, e.g. ``"fast: 5–10 images"``."""
    low, high = TRAINING_IMAGE_COUNTS[TrainingTier(tier)]
    return f"{tier}: {low}–{high} images"


class ProfileRow(w.HBox):  # type: ignore[misc]
    """One profile: picture, id, tag, status, and Delete with a confirmation step.

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

    def ask(self) -> None:
        """First step of deleting: show "Confirm delete?" with Yes / No."""
        self.delete_button.disabled = True
        self.confirm_box.layout.display = "flex"

    def dismiss(self) -> None:
        """Hide the confirmation (No)."""
        self.confirm_box.layout.display = "none"
        self.delete_button.disabled = False


class ProfilesPanel(w.VBox):  # type: ignore[misc]
    """The account's profiles: list (by tag), train new ones, watch training, delete.

    Args:
        session: the session whose client is used.

    Attributes:
        rows: profile id -> its row, in listing order.
        last_task: the future of the last background operation.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._poll_interval: float | None = None
        self._local = session.is_local
        self.rows: dict[str, ProfileRow] = {}
        self.last_task: concurrent.futures.Future[Any] | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._follows: dict[str, asyncio.Task[None]] = {}
        self.tag_filter = styled(
            w.Text(description="tag", placeholder="all tags", continuous_update=False),
            "profile-tag-filter",
        )
        self.refresh_button = styled(
            w.Button(description="Refresh", icon="refresh"), "profile-refresh"
        )
        self.status = StatusLine()
        self.error = ErrorBox()
        self.table = styled(w.VBox(), "profile-table")
        self._empty = w.HTML("<i>No profiles yet.</i>")
        self.urls = styled(
            w.Textarea(
                placeholder="https://… one public image URL per line",
                description="image URLs",
                layout=w.Layout(width="95%", height="90px"),
            ),
            "profile-urls",
        )
        self.upload = styled(
            w.FileUpload(accept="image/*", multiple=True, description="Photos"), "profile-upload"
        )
        self.folder = styled(
            w.Text(description="folder", placeholder="a folder of photos on this machine"),
            "profile-folder",
        )
        self.tier = styled(
            w.Dropdown(
                options=[t.value for t in TrainingTier], value="standard", description="tier"
            ),
            "profile-tier",
        )
        self.tier_rule = styled(w.HTML(_rule_html(self.tier.value)), "profile-tier-rule")
        self.tag = styled(
            w.Text(description="tag", placeholder="optional (1–128 characters, permanent)"),
            "profile-tag",
        )
        self.create_button = styled(
            w.Button(description="Create profile", button_style="primary", icon="user-plus"),
            "profile-create",
        )
        self.tier.observe(lambda c: setattr(self.tier_rule, "value", _rule_html(c["new"])), "value")
        self.tag_filter.observe(lambda _c: self.refresh(), "value")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.create_button.on_click(lambda _b: self.create())
        super().__init__(children=self._layout())
        styled(self, "profiles")
        self.refresh()

    @property
    def poll_interval(self) -> float:
        """Seconds between status polls (default: 2 s on the local server, 15 s on Phota's)."""
        if self._poll_interval is not None:
            return self._poll_interval
        return LOCAL_POLL if self._session.is_local else DEFAULT_PROFILE_POLL

    @poll_interval.setter
    def poll_interval(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError("poll_interval must be positive")
        self._poll_interval = float(seconds)

    def _layout(self) -> list[w.Widget]:
        if self._session.is_local:
            notice = (
                "The embedded local stand-in server also trains from photos you upload or from "
                "a folder on this machine (Phota itself takes public image URLs only)."
            )
            sources: list[w.Widget] = [self.urls, w.HBox([self.upload, self.folder])]
        else:
            notice = (
                "Phota trains profiles from public image URLs: give one link per line, each "
                "reachable from Phota's servers (local files cannot be sent)."
            )
            sources = [self.urls]
        create = w.VBox(
            [
                w.HTML(f"<b>New profile</b><br/><small>{escape(notice)}</small>"),
                *sources,
                w.HBox([self.tier, self.tier_rule, self.tag]),
                self.create_button,
            ],
            layout=w.Layout(border_top="1px solid #ddd", padding="6px 0 0 0"),
        )
        listing = w.HBox([self.tag_filter, self.refresh_button])
        return [listing, self.status, self.table, create, self.error]

    # -- listing and watching ----------------------------------------------------------------------

    def refresh(self) -> concurrent.futures.Future[None]:
        """List the profiles again in the background (rows update when it ends)."""
        self.last_task = self._session.loop.submit(self._arefresh())
        return self.last_task

    async def _arefresh(self) -> None:
        if self._session.is_local != self._local:  # the session switched backends (login)
            self._local = self._session.is_local
            self.children = self._layout()
        tag = self.tag_filter.value.strip() or None
        self.status.start("listing profiles…")
        try:
            if tag is None:
                profiles = await self._session.aprofiles(refresh=True)
            else:
                profiles = await self._session.aclient.profiles.list(tag)
        except PhotaError as exc:
            self.status.stop("could not list profiles")
            self.error.show_error(exc)
            return
        self._sync(profiles)
        where = f" tagged {tag!r}" if tag else ""
        self.status.stop(f"{len(profiles)} profile(s){where}")

    def _sync(self, profiles: list[ProfileSummary]) -> None:
        """Make the rows match a listing (on the loop: the only writer of the table)."""
        rows: dict[str, ProfileRow] = {}
        for summary in profiles:
            row = self.rows.get(summary.profile_id)
            if row is None:
                row = ProfileRow(summary)
                row.confirm_button.on_click(lambda _b, pid=summary.profile_id: self.delete(pid))
            elif summary.status is not None and summary.status is not row.state:
                row.set_status(summary.status, None)
            rows[summary.profile_id] = row
        for profile_id, row in self.rows.items():
            if profile_id not in rows:
                self._unfollow(profile_id)
                close_tree(row)
        self.rows = rows
        self._show_rows()
        for row in rows.values():
            self._follow(row)

    def _show_rows(self) -> None:
        self.table.children = list(self.rows.values()) or [self._empty]

    def _follow(self, row: ProfileRow) -> None:
        """Poll a row's status until it ends, then fetch its picture (one task per profile)."""
        with self._lock:
            if self._closed or row.profile_id in self._follows or row.picture.value:
                return
            task = asyncio.get_running_loop().create_task(self._poll(row))
            self._follows[row.profile_id] = task
        task.add_done_callback(lambda _t: self._forget(row.profile_id, task))

    async def _poll(self, row: ProfileRow) -> None:
        aclient = self._session.aclient
        try:
            while not self._closed:
                if row.state is None or not row.state.is_terminal:
                    state = await aclient.profiles.status(row.profile_id)
                    row.set_status(state.status, state.message)
                if row.state is ProfileStatus.READY:
                    picture = await aclient.profiles.picture(row.profile_id)
                    row.picture.value = await asyncio.to_thread(thumbnail_jpeg, picture, PICTURE_PX)
                    return
                if row.state is not None and row.state.is_terminal:
                    return
                await asyncio.sleep(self.poll_interval)
        except NotFoundError:
            row.set_status(None, "this profile is gone (deleted elsewhere?)")
        except PhotaError as exc:  # stop watching; Refresh starts again
            row.set_status(row.state, f"status check failed: {exc}")
        except OSError as exc:  # an unreadable picture
            row.set_status(row.state, f"cannot show the picture: {exc}")

    def _forget(self, profile_id: str, task: asyncio.Task[None]) -> None:
        with self._lock:
            if self._follows.get(profile_id) is task:
                del self._follows[profile_id]

    def _unfollow(self, profile_id: str) -> None:
        with self._lock:
            task = self._follows.pop(profile_id, None)
        if task is not None:
            _cancel(task)

    # -- creating and deleting ---------------------------------------------------------------------

    def create(self) -> concurrent.futures.Future[str | None] | None:
        """What Create does: check the images, then start training in the background.

        Returns:
            the future of the request (its result is the new profile id), or None when the
            input was refused before sending (the error box says why).
        """
        self.error.clear()
        tier = TrainingTier(self.tier.value)
        try:
            sources = self._sources()
            low, high = TRAINING_IMAGE_COUNTS[tier]
            if not low <= len(sources) <= high:
                raise InvalidRequestError(
                    f"training_tier {tier.value} takes {low}..{high} images, got {len(sources)}"
                )
        except InvalidRequestError as exc:
            self.error.show_error(exc)
            return None
        tag = self.tag.value.strip() or None
        self.create_button.disabled = True
        self.status.start(f"sending {len(sources)} image(s) to train a {tier.value} profile…")
        future = self._session.loop.submit(self._acreate(sources, tier, tag))
        self.last_task = future
        return future

    def _sources(self) -> list[ImageInput]:
        """The training images given: URL lines, plus uploads and a folder on the local server."""
        lines = [line.strip() for line in self.urls.value.splitlines() if line.strip()]
        if not self._session.is_local:
            for number, line in enumerate(lines, start=1):
                if not is_url(line):
                    raise InvalidRequestError(
                        f"line {number} ({line[:40]!r}) is not an http(s) URL: Phota trains "
                        "profiles from public image URLs; upload the photos somewhere public first"
                    )
            return list(lines)
        sources: list[ImageInput] = list(lines)
        sources += [bytes(item["content"]) for item in self.upload.value]
        folder = self.folder.value.strip()
        if folder:
            path = Path(folder).expanduser()
            if not path.is_dir():
                raise InvalidRequestError(f"folder {folder!r} does not exist")
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise InvalidRequestError(f"folder {folder!r} holds no JPEG/PNG/WebP/HEIC photos")
            sources += found
        return sources

    async def _acreate(
        self, sources: list[ImageInput], tier: TrainingTier, tag: str | None
    ) -> str | None:
        try:
            profile_id = await self._session.aclient.profiles.add(sources, tier.value, tag)
        except PhotaError as exc:
            self.status.stop("no profile created")
            self.error.show_error(exc)
            return None
        finally:
            self.create_button.disabled = False
        self._session.forget_profiles()
        self.urls.value = ""
        self.upload.value = ()
        self.folder.value = ""
        self.status.stop(f"profile {profile_id} created: training…")
        await self._arefresh()
        return profile_id

    def delete(self, profile_id: str) -> concurrent.futures.Future[bool]:
        """Delete a profile now (the Yes of the confirmation step); the future says if it went."""
        future = self._session.loop.submit(self._adelete(profile_id))
        self.last_task = future
        return future

    async def _adelete(self, profile_id: str) -> bool:
        self.error.clear()
        self.status.start(f"deleting {profile_id}…")
        row = self.rows.get(profile_id)
        try:
            await self._session.aclient.profiles.delete(profile_id)
        except NotFoundError:
            pass  # already gone: drop the row all the same
        except PhotaError as exc:
            self.status.stop(f"could not delete {profile_id}")
            self.error.show_error(exc)
            if row is not None:
                row.dismiss()
            return False
        self._session.forget_profiles()
        self._unfollow(profile_id)
        self.rows = {pid: r for pid, r in self.rows.items() if pid != profile_id}
        self._show_rows()
        if row is not None:
            close_tree(row)
        self.status.stop(f"deleted {profile_id}")
        return True

    def close(self) -> None:
        """Stop polling and close the panel's widgets."""
        with self._lock:
            self._closed = True
            tasks = list(self._follows.values())
            self._follows.clear()
        for task in tasks:
            _cancel(task)
        children = [*self.children, self._empty]
        super().close()
        for child in children:
            close_tree(child)


def _rule_html(tier: str) -> str:
    return f'<span style="color:#555">{escape(tier_rule(tier))}</span>'


def _cancel(task: asyncio.Task[None]) -> None:
    """Cancel a task from any thread (a stopped loop has nothing left to cancel)."""
    loop = task.get_loop()
    if not loop.is_closed():
        loop.call_soon_threadsafe(task.cancel)
