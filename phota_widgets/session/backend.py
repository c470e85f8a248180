"""The backend a session talks to: the embedded stand-in server, or the real API with a key.

With no key anywhere the session starts the embedded server (in a process of its own) and says
so once, plainly; ``use_key`` switches to the real API (the key checked first, the server
stopped), ``use_local`` back. Every client made here has its requests counted and its 202s and
429s reported to the session's adaptive limit.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from phota_widgets.api.client import AsyncPhotaClient
from phota_widgets.api.counting import count_request
from phota_widgets.api.models import ProfileSummary
from phota_widgets.api.sync import PhotaClient
from phota_widgets.session.concurrency import AdaptiveLimit
from phota_widgets.session.owners import OwnerLock
from phota_widgets.session.profile_cache import ProfileCache
from phota_widgets.session.request_hooks import pace_requests, watch_answers

if TYPE_CHECKING:
    from phota_widgets.local.process import ServerProcess
    from phota_widgets.local.server import LocalServer
    from phota_widgets.session.facade import Session

LOCAL_BACKEND = "local"


class Backend:
    """Chooses, switches and releases a session's server (one per session).

    Args:
        session: the session whose ``aclient``/``client`` this sets.
        limit: the session's limit on calls at once (told of every 202 and 429).
        profiles: the session's profile cache (it goes with the old client).
        announce: print the notice when the embedded server is started.
    """

    def __init__(
        self, session: Session, limit: AdaptiveLimit, profiles: ProfileCache, *, announce: bool
    ) -> None:
        self._session = session
        self._limit = limit
        self._profiles = profiles
        self._announce = announce
        self.server: LocalServer | ServerProcess | None = None
        """The embedded server in use (None with the real API)."""
        self._owns_server = False

    def connect(
        self,
        key: str | None,
        base_url: str | None,
        server: LocalServer | ServerProcess | None,
    ) -> None:
        """The first choice: a given server, else the key, else a new embedded server."""
        if server is not None or (key is None and base_url is None):
            self._use_local(server)
        else:
            self._connect(key, base_url, inline_training_images=False)

    def _start_local(
        self, server: LocalServer | ServerProcess | None
    ) -> LocalServer | ServerProcess:
        """Start (or reuse) the embedded server and remember it (by default in its own process)."""
        from phota_widgets.local.process import ServerProcess

        if server is None:
            server = ServerProcess(data_dir=self._session.output_dir / "local-server")
        self.server = server.start()
        return self.server

    def _use_local(self, server: LocalServer | ServerProcess | None) -> None:
        self._owns_server = server is None
        server = self._start_local(server)
        self._connect(server.api_key, server.base_url, inline_training_images=True)
        if self._owns_server and self._announce:
            print(f"phota-widgets: {self.notice}")

    @property
    def notice(self) -> str | None:
        """What a user should know about the backend: set when the embedded server answers."""
        if self.server is None:
            return None
        return (
            "no Phota API key found, so this session uses the embedded local stand-in server "
            f"at {self.server.base_url} (offline, real image processing, not Phota's "
            "models). For the real API: set PHOTA_API_KEY, enter a key in the Studio's header, "
            "or show pw.login(session) in a cell."
        )

    def _connect(
        self, key: str | None, base_url: str | None, *, inline_training_images: bool
    ) -> None:
        self._adopt(self._new_client(key, base_url, inline_training_images=inline_training_images))

    def _new_client(
        self, key: str | None, base_url: str | None, *, inline_training_images: bool
    ) -> AsyncPhotaClient:
        """A client for this session: its requests counted, its 429s followed."""
        session = self._session
        client = AsyncPhotaClient(
            key, base_url, prices=session.prices, inline_training_images=inline_training_images
        )
        http = client.transport.http
        hooks = http.event_hooks
        http.event_hooks = {
            "request": [*hooks["request"], count_request, pace_requests(self._limit)],
            "response": [*hooks["response"], watch_answers(self._limit, client.durations)],
        }
        return client

    def _adopt(self, client: AsyncPhotaClient) -> None:
        """Use ``client`` from now on (the cached profile list goes with the old one)."""
        session = self._session
        session.aclient = client
        session.client = PhotaClient(async_client=client, loop=session.loop)
        self._profiles.clear()

    @property
    def backend_id(self) -> str:
        """The server runs belong to (see ``Session.backend_id``)."""
        if self.server is None:
            return self._session.aclient.base_url
        server_id = getattr(self.server, "server_id", None) or self._session.aclient.base_url
        return f"{LOCAL_BACKEND}:{server_id}"

    def use_key(self, api_key: str, base_url: str | None, *, check: bool, owner: OwnerLock) -> None:
        """Switch to the real API with this key (see ``Session.use_key``); ``owner`` notes it."""
        from phota_widgets.session.key_check import check_key

        session = self._session
        if not api_key.strip():
            raise ValueError("the API key is empty")
        candidate = self._new_client(api_key.strip(), base_url, inline_training_images=False)
        profiles: list[ProfileSummary] | None = None
        if check:
            try:
                profiles = session.loop.run(check_key(candidate))
            except BaseException:
                with contextlib.suppress(RuntimeError):
                    session.loop.run(candidate.aclose())
                raise
        old = session.aclient
        self._adopt(candidate)
        with contextlib.suppress(RuntimeError):
            session.loop.run(old.aclose())
        self.release_server()
        owner.set_backend(self.backend_id)
        if profiles is None:
            self._profiles.forget()
        else:
            self._profiles.put(profiles)

    def use_local(self, *, owner: OwnerLock) -> None:
        """Switch back to an embedded server (see ``Session.use_local``); ``owner`` notes it."""
        session = self._session
        if self.server is not None:
            return
        old = session.aclient
        self._owns_server = True
        server = self._start_local(None)
        self._connect(server.api_key, server.base_url, inline_training_images=True)
        owner.set_backend(self.backend_id)
        with contextlib.suppress(RuntimeError):
            session.loop.run(old.aclose())
        self._profiles.forget()

    def release_server(self) -> None:
        """Stop the embedded server if this session started it; forget it either way."""
        if self.server is not None and self._owns_server:
            self.server.stop()
        self.server = None
