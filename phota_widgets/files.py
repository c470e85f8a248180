"""Durable file writes: atomic replacement and write-once for content-addressed files."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_once(path: Path, data: bytes) -> None:
    """Write content-addressed data unless an identical-size file is already there."""
    try:
        if path.stat().st_size == len(data):
            return
    except FileNotFoundError:
        pass
    atomic_write(path, data)


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder, fsync, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    flag = getattr(os, "O_DIRECTORY", None)
    if flag is not None:
        with contextlib.suppress(OSError):
            dir_fd = os.open(path.parent, os.O_RDONLY | flag)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
