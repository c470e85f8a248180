"""Watching the Profiles panel's rows: poll each profile's training until it ends, then its picture.

One task per profile, on the session's loop; each status and picture is written to its row on the
UI thread. A profile that became ready makes the session list its profiles again, so every
panel's profile list follows.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from phota_widgets.api.errors import NotFoundError, PhotaError
from phota_widgets.api.models import ProfileStatus
from phota_widgets.api.thumbnails import thumbnail_jpeg
from phota_widgets.widgets._common import ui_await

if TYPE_CHECKING:
    from phota_widgets.session import Session
    from phota_widgets.widgets.profile_row import ProfileRow

PICTURE_PX = 96
"""Longest side of a row's profile picture."""


class ProfileWatcher:
    """Polls rows' profiles (one task each) until training ends, then shows their pictures.

    Args:
        session: its client is asked; its loop runs the polls.
        poll_interval: returns the seconds between two status polls.

    Attributes:
        closed: set by :meth:`close`; no row is watched after it.
    """

    def __init__(self, session: Session, poll_interval: Callable[[], float]) -> None:
        self._session = session
        self._poll_interval = poll_interval
        self._lock = threading.Lock()
        self._follows: dict[str, asyncio.Task[None]] = {}
        self.closed = False

    def follow(self, row: ProfileRow) -> None:
        """Poll a row's status until it ends, then fetch its picture (on the session's loop)."""
        with self._lock:
            if self.closed or row.profile_id in self._follows or row.picture.value:
                return
            task = asyncio.get_running_loop().create_task(self._poll(row))
            self._follows[row.profile_id] = task
        task.add_done_callback(lambda _t: self._forget(row.profile_id, task))

    async def _poll(self, row: ProfileRow) -> None:
        aclient = self._session.aclient
        try:
            while not self.closed:
                if row.state is None or not row.state.is_terminal:
                    state = await aclient.profiles.status(row.profile_id)
                    await ui_await(row.set_status, state.status, state.message)
                    if state.status is ProfileStatus.READY:  # it just became usable:
                        self._session.forget_profiles()  # every panel's list follows
                if row.state is ProfileStatus.READY:
                    picture = await aclient.profiles.picture(row.profile_id)
                    thumb = await asyncio.to_thread(thumbnail_jpeg, picture, PICTURE_PX)
                    await ui_await(setattr, row.picture, "value", thumb)
                    return
                if row.state is not None and row.state.is_terminal:
                    return
                await asyncio.sleep(self._poll_interval())
        except NotFoundError:
            await ui_await(row.set_status, None, "this profile is gone (deleted elsewhere?)")
        except PhotaError as exc:  # stop watching; Refresh starts again
            await ui_await(row.set_status, row.state, f"status check failed: {exc}")
        except OSError as exc:  # an unreadable picture
            await ui_await(row.set_status, row.state, f"cannot show the picture: {exc}")

    def _forget(self, profile_id: str, task: asyncio.Task[None]) -> None:
        with self._lock:
            if self._follows.get(profile_id) is task:
                del self._follows[profile_id]

    def unfollow(self, profile_id: str) -> None:
        """Stop watching one profile (its row is gone)."""
        with self._lock:
            task = self._follows.pop(profile_id, None)
        if task is not None:
            _cancel(task)

    def close(self) -> None:
        """Stop watching every profile, for good."""
        with self._lock:
            self.closed = True
            tasks = list(self._follows.values())
            self._follows.clear()
        for task in tasks:
            _cancel(task)


def _cancel(task: asyncio.Task[None]) -> None:
    """Cancel a task from any thread (a stopped loop has nothing left to cancel)."""
    loop = task.get_loop()
    if not loop.is_closed():
        loop.call_soon_threadsafe(task.cancel)
