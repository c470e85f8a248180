"""The account's profile list: listed once, shared by concurrent callers, announced when new."""

from __future__ import annotations

import asyncio
import inspect
import threading
import weakref
from collections.abc import Awaitable, Callable

from phota_widgets.api.loop import BackgroundLoop
from phota_widgets.api.models import ProfileSummary

Listener = Callable[[list[ProfileSummary]], None]


class ProfileCache:
    """Caches a profile listing; listeners hear of every fresh list (on the loop's thread).

    Args:
        lister: lists the profiles (called on the loop).
        loop: the loop listings run on.
    """

    def __init__(
        self, lister: Callable[[], Awaitable[list[ProfileSummary]]], loop: BackgroundLoop
    ) -> None:
        self._lister = lister
        self._loop = loop
        self._profiles: list[ProfileSummary] | None = None
        self._task: asyncio.Future[list[ProfileSummary]] | None = None
        self._listeners: list[Callable[[], Listener | None]] = []
        self._lock = threading.Lock()

    async def get(self, refresh: bool = False) -> list[ProfileSummary]:
        """The profiles: cached, or listed once for every caller waiting at the same time."""
        cached = self._profiles
        if cached is not None and not refresh:
            return list(cached)
        task = self._task
        if task is None or task.done() or refresh:
            task = self._task = asyncio.ensure_future(self._list())
        return list(await asyncio.shield(task))

    async def _list(self) -> list[ProfileSummary]:
        profiles = await self._lister()
        await self._announce(profiles)
        return profiles

    async def _announce(self, profiles: list[ProfileSummary]) -> None:
        """Keep ``profiles`` and call every listener with them (on the loop)."""
        with self._lock:
            self._profiles = profiles
            listeners = list(self._listeners)
        for ref in listeners:
            callback = ref()
            if callback is not None:
                callback(list(profiles))

    def put(self, profiles: list[ProfileSummary]) -> None:
        """Keep a list listed elsewhere (by a key check) and tell the listeners (on the loop)."""
        with self._lock:
            self._profiles = list(profiles)
        self._loop.submit(self._put(list(profiles)))

    async def _put(self, profiles: list[ProfileSummary]) -> None:
        self._task = None
        await self._announce(profiles)

    def subscribe(self, callback: Listener) -> None:
        """Call ``callback`` with every fresh list; held weakly (a closed widget can go)."""
        ref: Callable[[], Listener | None] = (
            weakref.WeakMethod(callback) if inspect.ismethod(callback) else weakref.ref(callback)
        )
        with self._lock:
            self._listeners.append(ref)

    def clear(self) -> None:
        """Drop the cached list quietly (the next call lists again)."""
        with self._lock:
            self._profiles = None

    def forget(self) -> None:
        """Drop the cached list; listeners get the new one as soon as it is listed."""
        with self._lock:
            self._profiles = None
            listening = bool(self._listeners)
        if listening:
            self._loop.submit(self.get(refresh=True))
