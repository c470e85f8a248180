"""Real services for the teams tests, started on free loopback ports and torn down after.

PostgreSQL from the Debian package (``initdb`` in a temporary folder, as the unprivileged
``postgres`` user when the tests run as root), moto's standalone S3 server, and ``mlflow server``
with a SQLite backend and a local artifact folder. A service that cannot start fails the test
loudly with its log; nothing is skipped.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PG_BIN = Path(os.environ.get("PHOTA_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "phota"
S3_KEYS = {"key": "teams-test", "secret": "teams-test-secret"}


@dataclass(frozen=True)
class SharedStore:
    """The three settings of a team's run store, for one test."""

    index_url: str
    files_url: str
    storage_options: dict[str, Any]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(ready: Callable[[], bool], what: str, timeout: float, log: Path | None) -> None:
    """Poll ``ready`` until it is true, else fail naming ``what`` with the end of its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if ready():
                return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else "(no log)"
    pytest.fail(f"{what} did not start within {timeout:.0f} s:\n{tail}", pytrace=False)


def port_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process started in its own session, and every child it made."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=8)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


class Postgres:
    """A throwaway PostgreSQL cluster; each test gets its own database."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            pytest.fail(
                f"PostgreSQL binaries not found in {PG_BIN}: apt-get install postgresql "
                "(.ci/run does this) or set PHOTA_PG_BIN",
                pytrace=False,
            )
        self.folder = Path(tempfile.mkdtemp(prefix="phota-pg-"))
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self.log = self.folder / "server.log"
        data = self.folder / "data"
        self._run(
            "initdb", "-D", str(data), "-A", "trust", "-U", PG_USER, "-E", "UTF8", "--no-sync"
        )
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        try:
            self._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(self.log), "-w", "start")
            wait_until(lambda: port_open(self.port), "PostgreSQL", 60, self.log)
        except BaseException:
            self.stop()
            raise

    def new_database(self) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name).replace("postgresql://", "postgresql+psycopg://")

    def url(self, database: str) -> str:
        """libpq URL of a database of this cluster."""
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        """Stop the cluster and delete its folder."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        command = [*self.prefix, str(PG_BIN / tool), *args]
        done = subprocess.run(command, capture_output=True, timeout=120, cwd=self.folder)
        if done.returncode != 0:
            pytest.fail(
                f"{tool} failed ({done.returncode}): {done.stderr.decode(errors='replace')}",
                pytrace=False,
            )


class Service:
    """A server process in its own session with its log in a temporary folder."""

    def __init__(
        self,
        name: str,
        command: list[str],
        ready: Callable[[int], bool],
        timeout: float,
        *,
        wait: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name, self._ready, self._timeout = name, ready, timeout
        self.folder = Path(tempfile.mkdtemp(prefix=f"phota-{name}-"))
        self.port = free_port()
        self.log = self.folder / "server.log"
        argv = [part.format(port=self.port, folder=self.folder) for part in command]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.folder,
                env={**os.environ, **(env or {})},
            )
        if wait:
            self.wait()

    def wait(self) -> Service:
        """Wait until the service answers (fail the test with its log if it never does)."""
        ready = self._ready
        try:
            wait_until(
                lambda: self._alive() and ready(self.port), self.name, self._timeout, self.log
            )
        except BaseException:
            self.stop()  # never leave a half-started server behind
            raise
        return self

    @property
    def url(self) -> str:
        """The service's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the process group and delete the folder."""
        stop_group(self.proc)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _alive(self) -> bool:
        if self.proc.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            pytest.fail(f"{self.proc.args} exited ({self.proc.returncode}):\n{tail}", pytrace=False)
        return True


def start_moto() -> Service:
    """moto's standalone S3-compatible server."""
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "{port}"]
    return Service("moto", command, port_open, 60)


def start_mlflow(*, wait: bool = True) -> Service:
    """``mlflow server`` with a SQLite backend and a local artifact folder (slow to start: the
    teams conftest starts it early, without waiting, when a collected test needs it)."""

    def healthy(port: int) -> bool:
        import httpx

        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    command = [sys.executable, "-m", "mlflow", "server", "--workers", "1"]
    command += ["--backend-store-uri", "sqlite:///{folder}/mlflow.sqlite"]
    command += ["--artifacts-destination", "{folder}/artifacts"]
    command += ["--host", "127.0.0.1", "--port", "{port}"]
    quiet = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}  # no background job workers
    return Service("mlflow", command, healthy, 240, wait=wait, env=quiet)
