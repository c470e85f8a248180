"""Which process owns which runs: a lock file per live Session, released when its process dies.

Several processes (kernels, scripts) may share one run store. Each Session holds an exclusive
lock on ``owners/<token>.lock`` for its whole life and records its token with every run it
starts. The operating system drops the lock when the process ends, however it ends (SIGKILL
included), so "is the owner of this run still alive?" is "can the lock be taken?". A live owner's
runs are left alone; a dead owner's unfinished runs can be resumed or honestly ended.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import uuid
from pathlib import Path
from typing import IO, Any

OWNERS_DIR = "owners"


def _try_lock(handle: IO[bytes]) -> bool:
    """Take an exclusive, non-blocking lock on an open file; False when another holds it."""
    try:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class OwnerLock:
    """This Session's claim on its runs; held until :meth:`release` or the process ends.

    Args:
        root: the run store's folder.
        backend: the backend the session talks to (kept in the lock file, see :meth:`live`).
        read_only: the store is on a read-only mount: hold no lock file.
    """

    def __init__(self, root: Path, backend: str, *, read_only: bool = False) -> None:
        self.folder = root / OWNERS_DIR
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        name = uuid.uuid5(uuid.NAMESPACE_URL, self.token).hex
        self.path = self.folder / f"{name}.lock"
        self._handle: IO[bytes] | None = None
        if read_only:  # a read-only store is only browsed: no runs to own, no file to write
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        staging = self.folder / f".{name}.new"  # locked before it is visible under its name
        handle = self._handle = open(staging, "w+b")  # noqa: SIM115 - held open
        if not _try_lock(handle):  # pragma: no cover - a fresh random name
            raise RuntimeError(f"could not lock {staging}")
        self.set_backend(backend)
        os.replace(staging, self.path)

    def set_backend(self, backend: str) -> None:
        """Record the backend in use (after a switch from the embedded server to Phota)."""
        if self._handle is None:
            return
        info = {"token": self.token, "pid": os.getpid(), "backend": backend}
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(json.dumps(info).encode())
        self._handle.flush()

    def release(self) -> None:
        """Give up the claim (idempotent); the lock file is removed."""
        if self._handle is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        self._handle.close()
        self._handle = None

    @staticmethod
    def live(root: Path) -> dict[str, str]:
        """Token -> backend of every Session alive on this store (stale lock files are removed)."""
        found: dict[str, str] = {}
        folder = root / OWNERS_DIR
        for path in sorted(folder.glob("*.lock")) if folder.is_dir() else []:
            try:
                handle = open(path, "r+b")  # noqa: SIM115 - closed below
            except OSError:
                continue
            with handle:
                if _try_lock(handle):  # nobody holds it: its process is gone
                    with contextlib.suppress(OSError):
                        path.unlink()
                    continue
                info = _read_info(handle)
            if info is not None:
                found[str(info["token"])] = str(info.get("backend", ""))
        return found


def _read_info(handle: IO[bytes]) -> dict[str, Any] | None:
    handle.seek(0)
    try:
        info = json.loads(handle.read() or b"null")
    except ValueError:
        return None
    return info if isinstance(info, dict) and "token" in info else None
