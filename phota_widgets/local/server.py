"""``LocalServer``: the embedded Phota API served by uvicorn on a background thread."""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
import threading
import time
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import uvicorn

from phota_widgets.local.app import create_app
from phota_widgets.local.faults import API_PREFIX, FaultInjector, Faults
from phota_widgets.local.limits import LimitCounts, Limiter, Limits
from phota_widgets.local.profiles import ProfileRegistry, TrainingDurations
from phota_widgets.local.state import LocalState

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 15.0


class LocalServer:
    """The whole Phota API, offline, with real image processing: a local stand-in.

    Args:
        latency: seconds added to every API request (shorthand for ``Faults(latency=...)``).
        faults: error answers, dropped connections and time limits to inject.
        api_key: the key it accepts (random unless given).
        host: the address to bind: loopback unless you say otherwise.
        port: the port (0: a free one).
        data_dir: keep profiles here so they survive a restart.
        training: seconds per profile training stage.
        queue_delay: seconds an async job waits before it runs.
        processing: seconds a job takes at least (the model's time), sync and async alike;
            ``latency`` is the network's, paid by every request.
        limits: per-key rate limits (jobs at once, requests per second), answered with 429 and
            ``Retry-After`` as an API does; ``limit_counts`` tells what was admitted and refused.

    Example::

        with LocalServer() as srv:
            client = PhotaClient(api_key=srv.api_key, base_url=srv.base_url)
    """

    def __init__(
        self,
        *,
        latency: float = 0.0,
        faults: Faults | None = None,
        api_key: str | None = None,
        host: str = LOOPBACK,
        port: int = 0,
        data_dir: str | os.PathLike[str] | None = None,
        training: TrainingDurations | None = None,
        queue_delay: float = 0.0,
        processing: float = 0.0,
        limits: Limits | None = None,
    ) -> None:
        if processing < 0 or queue_delay < 0:
            raise ValueError("processing and queue_delay must be >= 0 seconds")
        if faults is None:
            faults = Faults(latency=latency)
        elif latency:
            raise ValueError("give latency inside faults=Faults(latency=...), not both")
        self.faults = faults
        self.host = host
        self.server_id = secrets.token_hex(6)
        """Names this server (and so the runs it accepted: its jobs live and die with it)."""
        self._api_key = api_key or "local_" + secrets.token_urlsafe(24)
        registry = ProfileRegistry(
            training or TrainingDurations(), Path(data_dir) if data_dir else None
        )
        self.state = LocalState(
            api_key=self._api_key,
            profiles=registry,
            sync_time_limit=faults.sync_time_limit,
            queue_delay=queue_delay,
            processing=processing,
            limiter=Limiter(limits) if limits is not None and limits.active else None,
        )
        self.limits = limits
        self._requested_port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port: int | None = None

    @property
    def api_key(self) -> str:
        """The key this server accepts."""
        return self._api_key

    @property
    def limit_counts(self) -> LimitCounts:
        """Requests and jobs admitted and refused by the rate limits (zeros without limits)."""
        limiter = self.state.limiter
        return limiter.counts if limiter is not None else LimitCounts()

    @property
    def base_url(self) -> str:
        """The API root to give a client, e.g. ``http://127.0.0.1:51234/v1/phota``."""
        if self.port is None:
            raise RuntimeError("the server is not running: call start() or use 'with'")
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 literal
        return f"http://{host}:{self.port}{API_PREFIX}"

    @property
    def running(self) -> bool:
        """Whether the server thread is serving."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, sock: socket.socket | None = None) -> LocalServer:
        """Bind a port and serve on a daemon thread; returns once requests are answered.

        Args:
            sock: a bound socket to serve on instead (e.g. one handed over by a parent process).
        """
        if self.running:
            return self
        if not _is_loopback(self.host):
            warnings.warn(
                f"the embedded server is bound to {self.host}, not loopback: other machines can "
                "reach it (and use its key if they learn it)",
                stacklevel=2,
            )
        app: Any = create_app(self.state)
        if self.faults != Faults():
            app = FaultInjector(app, self.faults)
        if sock is None:
            family = socket.getaddrinfo(self.host, None, type=socket.SOCK_STREAM)[0][0]
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._requested_port))
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="warning",
            http="h11",
            loop="asyncio",
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name="phota-local-server",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the embedded Phota server failed to start")
            time.sleep(0.01)
        return self

    def allow_image_host(self, url: str) -> None:
        """Let image URLs on ``url``'s host and port be fetched too (e.g. a test's image host).

        By default the server fetches image URLs only from itself, so a request cannot reach
        other services on this machine or its network.
        """
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        self.state.image_hosts.add((parts.hostname or "", port))

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
        self.port = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self.port else "stopped"
        return f"LocalServer({where}, api_key='***')"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
