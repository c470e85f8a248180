"""``ServerProcess``: the embedded server in its own process, so its image work never holds the
kernel's GIL and its memory goes back to the system when it stops.

The child (``phota_widgets.local.child``) gets its settings, the key among them, on a pipe (never
on its command line) and watches that pipe: when this process closes it, exits, or is killed, the
child stops too. It is stopped with :meth:`ServerProcess.stop`, at interpreter exit, or by that.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import weakref
from dataclasses import asdict
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from phota_widgets.local.faults import API_PREFIX
from phota_widgets.local.limits import Limits

if TYPE_CHECKING:  # the server's own modules (numpy, Pillow, FastAPI) load in the child only
    from phota_widgets.local.profiles import TrainingDurations

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0

_running: weakref.WeakSet[ServerProcess] = weakref.WeakSet()


class ServerProcess:
    """The embedded Phota API served by a child process on loopback.

    It has :class:`~phota_widgets.local.LocalServer`'s surface (``api_key``, ``base_url``,
    ``start``, ``stop``, ``running``, ``with``); the in-thread ``LocalServer`` stays for tests.

    Args:
        latency: seconds the network adds to every API request.
        processing: seconds a job takes at least (the model's time).
        api_key: the key it accepts (random unless given).
        data_dir: keep profiles here so they survive a restart.
        training: seconds per profile training stage.
        queue_delay: seconds an async job waits before it runs.
        limits: per-key rate limits, answered with 429 (see :class:`~phota_widgets.local.Limits`).
    """

    def __init__(
        self,
        *,
        latency: float = 0.0,
        processing: float = 0.0,
        api_key: str | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        training: TrainingDurations | None = None,
        queue_delay: float = 0.0,
        limits: Limits | None = None,
    ) -> None:
        if latency < 0 or processing < 0 or queue_delay < 0:
            raise ValueError("latency, processing and queue_delay must be >= 0")
        self.host = LOOPBACK
        self._api_key = api_key or "local_" + secrets.token_urlsafe(24)
        self._settings: dict[str, Any] = {
            "latency": latency,
            "processing": processing,
            "queue_delay": queue_delay,
            "data_dir": os.fspath(data_dir) if data_dir is not None else None,
            "training": asdict(training) if training else None,
            "limits": asdict(limits) if limits else None,
        }
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._lock = threading.Lock()
        self.port: int | None = None
        self.server_id = secrets.token_hex(6)
        """This server's identity (new at every start): runs it accepted belong to it."""

    @property
    def api_key(self) -> str:
        """The key this server accepts."""
        return self._api_key

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._process.pid if self._process else None

    @property
    def base_url(self) -> str:
        """The API root to give a client."""
        if self.port is None:
            raise RuntimeError("the server is not running: call start() or use 'with'")
        return f"http://{self.host}:{self.port}{API_PREFIX}"

    @property
    def running(self) -> bool:
        """Whether the child process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, wait: bool = False) -> ServerProcess:
        """Start the child on a port bound here, and return at once.

        Requests queue on the port until the child answers them, so nothing waits for its
        start-up except the first request.

        Args:
            wait: return only once the child answers (see :meth:`wait_ready`).
        """
        with self._lock:
            if self.running:
                return self
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                listener.bind((self.host, 0))
                listener.listen(128)
                fd = listener.fileno()
                process = subprocess.Popen(
                    [sys.executable, "-m", "phota_widgets.local.child"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    pass_fds=(fd,),
                    env=_child_environment(),
                    start_new_session=True,  # a Ctrl-C in the parent's terminal is the parent's
                )
                port = listener.getsockname()[1]
            finally:
                listener.close()  # the child holds it now; it closes when the child ends
            assert process.stdin is not None
            self._process, self.port, self._ready = process, port, False
            self.server_id = secrets.token_hex(6)
            settings = {**self._settings, "api_key": self._api_key, "fd": fd}
            try:
                process.stdin.write(json.dumps(settings).encode() + b"\n")
                process.stdin.flush()
            except OSError as exc:
                self._halt()
                raise RuntimeError(f"the embedded Phota server failed to start: {exc}") from None
            _running.add(self)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Block until the child answers requests.

        Raises:
            RuntimeError: it stopped or did not answer within ``timeout`` seconds.
        """
        with self._lock:
            process = self._process
            if process is None:
                raise RuntimeError("the server process is not running: call start()")
            if self._ready:
                return
            assert process.stdout is not None
            try:
                announced = _read_port(process.stdout, timeout)
            except (OSError, RuntimeError, ValueError) as exc:
                self._halt()
                raise RuntimeError(f"the embedded Phota server failed to start: {exc}") from None
            if announced != self.port:
                self._halt()
                raise RuntimeError(f"the server process serves {announced}, not {self.port}")
            self._ready = True

    def stop(self) -> None:
        """Stop the child (closing its pipe), waiting for it; kill it if it lingers."""
        with self._lock:
            self._halt()
            _running.discard(self)

    def _halt(self) -> None:
        process, self._process, self.port = self._process, None, None
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)

    def __enter__(self) -> ServerProcess:
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
        return f"ServerProcess({where}, api_key='***')"


def _child_environment() -> dict[str, str]:
    """This environment, with this copy of the package first on the child's import path."""
    import phota_widgets

    root = os.path.dirname(os.path.dirname(os.path.abspath(phota_widgets.__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def _read_port(stdout: IO[bytes], timeout: float) -> int:
    """The port the child announces on its first line (within ``timeout`` seconds)."""
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not line or not line[0]:
        raise RuntimeError("no answer from the server process (see its messages above)")
    port = json.loads(line[0])["port"]
    if not isinstance(port, int):
        raise ValueError(f"the server process announced port {port!r}")
    return port


@atexit.register
def _stop_all() -> None:
    """At interpreter (kernel) exit: stop every server process still running."""
    for server in list(_running):
        server.stop()
