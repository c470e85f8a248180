"""``ProfilesPanel``: list, train, watch and delete the account's identity profiles.

Listing, training and polling run on the session's loop; every write to the panel's widgets
after it is built runs on the UI thread. The training rules (image counts, URLs only for Phota)
are the client's: a refused request is shown in the error box before anything is sent.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from phota_widgets.api.errors import NotFoundError, PhotaError
from phota_widgets.api.models import (
    TRAINING_IMAGE_COUNTS,
    ProfileSummary,
    TrainingTier,
)
from phota_widgets.api.profiles import DEFAULT_PROFILE_POLL
from phota_widgets.widgets._common import (
    ErrorBox,
    StatusLine,
    close_tree,
    styled,
    ui_await,
    ui_call,
)
from phota_widgets.widgets.profile_demo import (
    demo_button,
    demo_note,
    tier_help,
    train_demo_profile,
)
from phota_widgets.widgets.profile_row import ProfileRow
from phota_widgets.widgets.profile_training import (
    TrainingInput,
    refusal_html,
    rule_html,
    training_sources,
)
from phota_widgets.widgets.profile_watch import ProfileWatcher
from phota_widgets.widgets.upload import PhotoUpload

if TYPE_CHECKING:
    from phota_widgets.session import Session

LOCAL_POLL = 2.0
"""Seconds between status polls against the embedded server (it trains in seconds)."""


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
        self._watcher = ProfileWatcher(session, lambda: self.poll_interval)
        self._creating: concurrent.futures.Future[str | None] | None = None
        self._refreshing = 0  # own listings under way (on the loop)
        self._relisting: concurrent.futures.Future[None] | None = None  # another's listing
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
        most = max(high for _low, high in TRAINING_IMAGE_COUNTS.values())
        self.upload = styled(PhotoUpload("Photos", max_files=most), "profile-upload")
        self.upload.on_refused(
            lambda text: ui_call(setattr, self.error, "value", refusal_html(text))
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
        self.tier_rule = styled(w.HTML(rule_html(self.tier.value)), "profile-tier-rule")
        self.tag = styled(
            w.Text(description="tag", placeholder="optional (1–128 characters, permanent)"),
            "profile-tag",
        )
        self.create_button = styled(
            w.Button(description="Create profile", button_style="primary", icon="user-plus"),
            "profile-create",
        )
        self.demo_button = demo_button()
        self.demo_button.on_click(lambda _b: self.create_demo())
        self.tier.observe(
            lambda c: ui_call(setattr, self.tier_rule, "value", rule_html(c["new"])), "value"
        )
        self.tag_filter.observe(lambda _c: self.refresh(), "value")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.create_button.on_click(lambda _b: self.create())
        self._boxes = self._layout()
        super().__init__(children=self._boxes)
        styled(self, "profiles")
        session.on_profiles_changed(self._profiles_changed)
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
                "a folder on this machine (Phota itself takes public image URLs only). To try "
                "profiles at once, make a demo profile from the sample portrait."
            )
            sources: list[w.Widget] = [
                w.HBox([self.demo_button, demo_note()], layout=w.Layout(align_items="center")),
                self.urls,
                w.HBox([self.upload, self.folder]),
            ]
        else:
            notice = (
                "Phota trains profiles from public image URLs: give one link per line, each "
                "reachable from Phota's servers (local files cannot be sent)."
            )
            sources = [self.urls]
        sources.append(tier_help())
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
        tag = self.tag_filter.value.strip() or None
        await ui_await(self.status.start, "listing profiles…")
        self._refreshing += 1
        try:
            if tag is None:
                profiles = await self._session.aprofiles(refresh=True)
            else:
                profiles = await self._session.aclient.profiles.list(tag)
        except PhotaError as exc:
            await ui_await(self._failed, "could not list profiles", exc)
            return
        finally:
            self._refreshing -= 1
        await self._show(profiles, tag)

    async def _show(self, profiles: list[ProfileSummary], tag: str | None) -> None:
        """Show a listing (on the loop), laid out for the session's backend, and watch its rows."""
        relayout = self._session.is_local != self._local  # the session switched backends (login)
        self._local = self._session.is_local
        where = f" tagged {tag!r}" if tag else ""
        text = f"{len(profiles)} profile(s){where}"
        rows = await ui_await(self._sync, profiles, text, relayout)
        for row in rows:
            self._watcher.follow(row)

    def _profiles_changed(self, profiles: list[ProfileSummary]) -> None:
        """The session listed its profiles again, e.g. after a login (called on its loop)."""
        if self._watcher.closed or self._refreshing:  # our own listing shows itself
            return
        if self.tag_filter.value.strip():  # this panel lists one tag: ask again
            self.refresh()
            return
        self._relisting = self._session.loop.submit(self._show(profiles, None))

    def _relayout(self) -> None:
        """Lay the panel out again for the session's backend (on the UI thread)."""
        old, self._boxes = self._boxes, self._layout()
        self.children = self._boxes
        parts = (self.tag_filter, self.refresh_button, self.status, self.table, self.error,
                 self.urls, self.upload, self.folder, self.tier, self.tier_rule, self.tag,
                 self.create_button, self.demo_button)  # fmt: skip
        for container in old:  # the old boxes and notice go; the controls stay
            close_tree(container, keep=parts)

    def _failed(self, text: str, exc: BaseException) -> None:
        self.status.stop(text)
        self.error.show_error(exc)

    def _sync(
        self, profiles: list[ProfileSummary], text: str, relayout: bool = False
    ) -> list[ProfileRow]:
        """Make the rows match a listing and say so (on the UI thread); returns the rows."""
        if self._watcher.closed:
            return []
        if relayout:
            self._relayout()
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
                self._watcher.unfollow(profile_id)
                close_tree(row)
        self.rows = rows
        self._show_rows()
        self.status.stop(text)
        return list(rows.values())

    def _show_rows(self) -> None:
        self.table.children = list(self.rows.values()) or [self._empty]

    # -- creating and deleting ---------------------------------------------------------------------

    def create(self) -> concurrent.futures.Future[str | None]:
        """What Create does: gather the images and start training in the background.

        Returns:
            The future of the request: the new profile id, or None when it was refused (the
            error box says why; the client refuses bad input before sending anything).
        """
        creating = self._creating
        if creating is not None and not creating.done():  # a second click while sending
            return creating
        tier, tag = self.tier.value, self.tag.value.strip() or None
        given = TrainingInput(self.urls.value, self.upload.files, self.folder.value)
        future = self._session.loop.submit(self._acreate(given, tier, tag))
        self.last_task = self._creating = future
        return future

    def create_demo(self) -> concurrent.futures.Future[str | None]:
        """What "Demo profile" does (offline only): train a fast profile from the sample portrait.

        Returns:
            The future of the new profile id (None when refused: the error box says why).
        """
        future = self._session.loop.submit(self._acreate_demo())
        self.last_task = future
        return future

    async def _acreate_demo(self) -> str | None:
        await ui_await(self._creating_started, "training a demo profile from the sample portrait…")
        try:
            profile_id = await train_demo_profile(self._session)
        except PhotaError as exc:
            await ui_await(self._failed, "no demo profile created", exc)
            await ui_await(setattr, self.create_button, "disabled", False)
            return None
        self._session.forget_profiles()
        await ui_await(self._demo_done, profile_id)
        await self._arefresh()
        return profile_id

    def _demo_done(self, profile_id: str) -> None:
        self.create_button.disabled = False
        self.status.stop(f"demo profile {profile_id} created: training…")

    async def _acreate(self, given: TrainingInput, tier: str, tag: str | None) -> str | None:
        try:
            sources = await asyncio.to_thread(training_sources, given, self._session.is_local)
            text = f"sending {len(sources)} image(s) to train a {tier} profile…"
            await ui_await(self._creating_started, text)
            profile_id = await self._session.aclient.profiles.add(sources, tier, tag)
        except PhotaError as exc:
            await ui_await(self._create_done, "no profile created", exc, given)
            return None
        self._session.forget_profiles()
        text = f"profile {profile_id} created: training…"
        await ui_await(self._create_done, text, None, given)
        await self._arefresh()
        return profile_id

    def _creating_started(self, text: str) -> None:
        self.error.clear()
        self.create_button.disabled = True
        self.status.start(text)

    def _create_done(self, text: str, exc: PhotaError | None, given: TrainingInput) -> None:
        self.create_button.disabled = False
        if exc is not None:
            self._failed(text, exc)
            return
        # the sources were sent: clear them, unless the person has changed them meanwhile
        if self.urls.value == given.urls:
            self.urls.value = ""
        if self.upload.files is given.uploads:
            self.upload.clear()
        if self.folder.value == given.folder:
            self.folder.value = ""
        self.status.stop(text)

    def delete(self, profile_id: str) -> concurrent.futures.Future[bool]:
        """Delete a profile now (the Yes of the confirmation step); the future says if it went."""
        future = self._session.loop.submit(self._adelete(profile_id))
        self.last_task = future
        return future

    async def _adelete(self, profile_id: str) -> bool:
        await ui_await(self._deleting, profile_id)
        row = self.rows.get(profile_id)
        try:
            await self._session.aclient.profiles.delete(profile_id)
        except NotFoundError:
            pass  # already gone: drop the row all the same
        except PhotaError as exc:
            await ui_await(self._failed, f"could not delete {profile_id}", exc)
            if row is not None:
                row.dismiss()
            return False
        self._session.forget_profiles()
        self._watcher.unfollow(profile_id)
        await ui_await(self._drop_row, profile_id)
        return True

    def _deleting(self, profile_id: str) -> None:
        self.error.clear()
        self.status.start(f"deleting {profile_id}…")

    def _drop_row(self, profile_id: str) -> None:
        row = self.rows.pop(profile_id, None)
        self._show_rows()
        if row is not None:
            close_tree(row)
        self.status.stop(f"deleted {profile_id}")

    def close(self) -> None:
        """Stop polling and close the panel's widgets."""
        self._watcher.close()
        close_tree(self, super().close)
        for part in (
            self._empty,
            self.upload,
            self.folder,
            self.demo_button,
        ):  # parts the layout may not show
            close_tree(part)
