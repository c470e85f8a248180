"""Serve the Studio notebook as an app (Voila) or in JupyterLab, on loopback, and stop it cleanly.

Only whoever started it can use it: a token in the printed URL (then a cookie), loopback Host
names only, a cap on kernels and idle ones culled (see :mod:`phota_widgets.app.guard`).

The server runs as a child process in its own session, so a Ctrl-C in the terminal reaches only
this launcher, which then stops the server (it shuts its kernels down) and ends whatever the
server left behind: no kernel, embedded server or Voila process outlives the command.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import webbrowser
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from types import FrameType
from typing import IO

import psutil

from phota_widgets.app.guard import StudioLimits, new_token, write_json, write_voila_config

NOTEBOOK_NAME = "studio.ipynb"
STOP_GRACE = 10.0
"""Seconds the server gets to shut its kernels down before what is left is ended."""


def studio_notebook() -> Path:
    """The Studio notebook shipped inside the package."""
    return Path(str(resources.files("phota_widgets.app").joinpath(NOTEBOOK_NAME)))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


class StudioServer:
    """Voila (or JupyterLab with ``lab=True``) serving a copy of the Studio notebook.

    Args:
        folder: where the notebook copy goes; the Studio's runs are stored in its
            ``phota-runs`` folder (the kernel runs there).
        port: the port on 127.0.0.1 (default: a free one).
        lab: open the notebook in JupyterLab instead of the Voila app view.
        limits: kernel cap and culling (default :class:`StudioLimits`).

    Attributes:
        url: the address to open (set by :meth:`start`).
        log_path: the server's own output, for when it fails.
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        port: int | None = None,
        lab: bool = False,
        limits: StudioLimits | None = None,
    ):
        self.folder = Path(folder).resolve()
        self.port = port
        self.lab = lab
        self.limits = limits or StudioLimits()
        self.url = ""
        self.log_path = self.folder / ("lab.log" if lab else "voila.log")
        self.config_dir = self.folder / ".studio-server"
        self._token = new_token()
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The server process's id while it runs."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 120.0) -> StudioServer:
        """Copy the notebook, start the server and wait until it accepts connections.

        Raises:
            RuntimeError: the port is taken, or the server ended or did not answer in time
                (the message quotes the end of its log).
        """
        if self.port is None:
            self.port = free_port()
        elif not _port_is_free(self.port):
            raise RuntimeError(f"port {self.port} on 127.0.0.1 is in use: choose another --port")
        self.folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(studio_notebook(), self.folder / NOTEBOOK_NAME)
        if self.lab:
            write_json(self.config_dir / "jupyter_server_config.json", self.limits.lab_config())
        else:
            write_voila_config(self.config_dir, self.limits)
        env = dict(os.environ)  # PHOTA_API_KEY reaches the kernel this way, never as an argument
        env["JUPYTER_TOKEN"] = self._token  # the server reads it here, never from its arguments
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            self._command(),
            cwd=self.folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a terminal's Ctrl-C reaches the launcher, which stops it
            preexec_fn=_stop_with_parent if sys.platform.startswith("linux") else None,
        )
        deadline = time.monotonic() + timeout
        while not _accepts(self.port):
            if not self.running or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Studio server did not start:\n{self._log_tail()}")
            time.sleep(0.2)
        base = f"http://127.0.0.1:{self.port}"
        self.url = (
            f"{base}/lab/tree/{NOTEBOOK_NAME}?token={self._token}"
            if self.lab
            else f"{base}/?token={self._token}"
        )
        return self

    def _command(self) -> list[str]:
        if self.lab:
            command = [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={self.port}",
                "--port-retries=0",
                f"--ServerApp.root_dir={self.folder}",
                f"--config={self.config_dir / 'jupyter_server_config.json'}",
            ]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                command.append("--allow-root")  # containers (Binder, Docker) often run as root
            return command
        return [
            sys.executable,
            "-m",
            "voila",
            "--no-browser",
            f"--port={self.port}",
            "--Voila.ip=127.0.0.1",
            "--Voila.port_retries=0",
            f"--Voila.config_file_paths={self.config_dir}",
            str(self.folder / NOTEBOOK_NAME),
        ]

    def descendants(self) -> list[psutil.Process]:
        """The server's child processes (kernels, and what they started), recursively."""
        if self._process is None:
            return []
        try:
            return list(psutil.Process(self._process.pid).children(recursive=True))
        except psutil.NoSuchProcess:
            return []

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Ask the server to stop (it shuts its kernels down), then end whatever is left."""
        process = self._process
        if process is None:
            return
        left = self.descendants()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                left += self.descendants()
                process.kill()
                process.wait()
        _end(left, grace=5.0)
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def wait(self) -> int:
        """Block until the server ends (a signal interrupts the wait); returns its exit code."""
        assert self._process is not None, "start() the server first"
        return self._process.wait()

    def _log_tail(self, lines: int = 20) -> str:
        if self._log is not None:
            self._log.flush()
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def __enter__(self) -> StudioServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _stop_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the server gets SIGTERM if the launcher dies without stopping it (kill -9)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _end(processes: list[psutil.Process], grace: float) -> None:
    """Terminate these processes (and their children), killing those still alive after grace."""
    everything: dict[int, psutil.Process] = {}
    for process in processes:
        with contextlib.suppress(psutil.Error):
            everything[process.pid] = process
            for child in process.children(recursive=True):
                everything[child.pid] = child
    for process in everything.values():
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _gone, alive = psutil.wait_procs(list(everything.values()), timeout=grace)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=grace)


def open_browser(url: str) -> bool:
    """Open the URL in a graphical browser when there is one; harmless (False) otherwise.

    Without a display on Linux, Python's ``webbrowser`` would run a text browser in this very
    terminal, so none is tried there.
    """
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False
    try:
        return webbrowser.open(url)
    except (webbrowser.Error, OSError):
        return False


@contextlib.contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP stop the launcher the way Ctrl-C (SIGINT) does."""

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    names = ("SIGTERM", "SIGHUP")
    wanted = [getattr(signal, n) for n in names if hasattr(signal, n)]
    previous = {sig: signal.signal(sig, interrupt) for sig in wanted}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_studio(
    folder: str | os.PathLike[str] = "phota-studio",
    port: int | None = None,
    lab: bool = False,
    browser: bool = True,
    limits: StudioLimits | None = None,
) -> int:
    """What ``phota-widgets studio`` does: serve, print the URL, open it, stop on Ctrl-C."""
    server = StudioServer(folder, port=port, lab=lab, limits=limits)
    with _stop_signals_interrupt():
        try:
            server.start()
        except RuntimeError as exc:
            print(f"phota-widgets studio: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            _stop_undisturbed(server)
            return 130
        try:
            view = "JupyterLab" if lab else "the app"
            print(f"Phota Studio ({view}): {server.url}", flush=True)
            backend = (
                "the Phota API (PHOTA_API_KEY)"
                if os.environ.get("PHOTA_API_KEY")
                else "the embedded local stand-in server (offline; enter a key in the Studio "
                "or set PHOTA_API_KEY for the real API)"
            )
            print(f"  runs on {backend}", flush=True)
            print(f"  notebook and results in {server.folder} (runs: phota-runs/)", flush=True)
            print(f"  {_limits_line(server.limits)}", flush=True)
            print("Ctrl-C stops it.", flush=True)
            if browser:
                open_browser(server.url)
            code = server.wait()
            print(
                f"phota-widgets studio: the server ended (exit code {code}); see {server.log_path}"
            )
            return code or 1
        except KeyboardInterrupt:
            print("Stopping the Studio...", flush=True)
            return 0
        finally:
            _stop_undisturbed(server)


def _stop_undisturbed(server: StudioServer) -> None:
    """Stop the server with Ctrl-C and SIGTERM ignored, so a second press cannot cut it short."""
    wanted = [s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None]
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in wanted}
    try:
        server.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _limits_line(limits: StudioLimits) -> str:
    cap = f"at most {limits.max_kernels} pages at once" if limits.max_kernels else "no page limit"
    which = "idle sessions" if limits.cull_connected else "sessions of closed pages"
    return f"{cap}; {which} end after {limits.cull_after} s"
