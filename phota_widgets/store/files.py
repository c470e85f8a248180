"""The run store's image files through fsspec: a local folder, ``s3://bucket/prefix`` or any URL.

Names are content-addressed (``images/<sha[:2]>/<sha>.<ext>``), so writing the same bytes twice
is a no-op and two machines uploading the same image cannot disagree. Remote files are cached in
a local folder on first use (and on write), so thumbnails and display read local files.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from phota_widgets.files import atomic_write, write_once
from phota_widgets.store.errors import StoreFullError, StoreReadOnlyError, StoreRowError


class FileStore:
    """Content-addressed files under one fsspec URL, with a local cache for remote ones.

    Args:
        url: a local folder or an fsspec URL (``s3://bucket/prefix``, ``gcs://…``, ``file://…``).
        cache_dir: local folder holding copies of remote files (unused for a local folder).
        storage_options: passed to the fsspec filesystem (endpoint, credentials, …).
    """

    def __init__(
        self,
        url: str | os.PathLike[str],
        *,
        cache_dir: Path,
        storage_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.url = os.fspath(url)
        fs, root = fsspec.core.url_to_fs(self.url, **dict(storage_options or {}))
        self.fs: fsspec.AbstractFileSystem = fs
        self.is_local = isinstance(fs, LocalFileSystem)
        self.root = str(Path(root).expanduser().resolve()) if self.is_local else root.rstrip("/")
        self.cache_dir = Path(self.root) if self.is_local else cache_dir
        if self.is_local:
            for sub in ("images", "inputs"):
                with contextlib.suppress(OSError):  # a read-only store is still browsed
                    (self.cache_dir / sub).mkdir(parents=True, exist_ok=True)
        else:
            self.fs.makedirs(self.root, exist_ok=True)

    def put(self, name: str, data: bytes) -> None:
        """Write content-addressed bytes once (skipped when the same-size file is there).

        Raises:
            StoreFullError: no space left; StoreReadOnlyError: the folder refuses writes.
        """
        try:
            self._put(name, data)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise StoreFullError(
                    f"run store files {self.url}: the disk is full writing {name}; free some "
                    "space and run again (paid cells are collected then)",
                    self.url,
                ) from exc
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise StoreReadOnlyError(
                    f"run store files {self.url} refuse writes ({exc.strerror}): open a "
                    "writable store (output_dir=...) to save outputs",
                    self.url,
                ) from exc
            raise

    def _put(self, name: str, data: bytes) -> None:
        if self.is_local:
            write_once(Path(self.root) / name, data)
            return
        remote = self._remote(name)
        if self._remote_size(remote) != len(data):
            self.fs.pipe_file(remote, data)
        write_once(self.cache_dir / name, data)

    def local_path(self, name: str) -> Path:
        """A local file holding ``name``: the file itself, or its cached copy (fetched now).

        Raises:
            FileNotFoundError: if the store has no such file.
        """
        path = self._under_root(name)
        if self.is_local or path.exists():
            return path
        try:
            data = self.fs.cat_file(self._remote(name))
        except FileNotFoundError:
            raise
        except OSError as exc:  # remote errors other than "missing" keep their cause
            raise FileNotFoundError(f"{self.url}/{name}: {exc}") from exc
        atomic_write(path, bytes(data))
        return path

    def find(self, folder: str, prefix: str) -> str | None:
        """The first name in ``folder`` starting with ``prefix`` (sorted), or None."""
        local = sorted((self.cache_dir / folder).glob(f"{prefix}*"))
        if local:
            return f"{folder}/{local[0].name}"
        if self.is_local:
            return None
        remote_folder = self._remote(folder)
        with contextlib.suppress(AttributeError):
            self.fs.invalidate_cache(remote_folder)
        try:
            names = sorted(p.rsplit("/", 1)[-1] for p in self.fs.ls(remote_folder, detail=False))
        except FileNotFoundError:
            return None
        found = next((n for n in names if n.startswith(prefix)), None)
        return None if found is None else f"{folder}/{found}"

    def __repr__(self) -> str:
        return f"FileStore({self.url!r})"

    def _under_root(self, name: str) -> Path:
        """The local path of ``name``, refused unless it stays inside the store's folder."""
        parts = PurePosixPath(name).parts
        path = (self.cache_dir / name).resolve()
        root = self.cache_dir.resolve()
        if not parts or ".." in parts or name.startswith("/") or not path.is_relative_to(root):
            raise StoreRowError(
                f"refusing the store file name {name[:120]!r}: it leads outside {self.url}"
            )
        return path

    def _remote(self, name: str) -> str:
        return f"{self.root}/{name}"

    def _remote_size(self, remote: str) -> int | None:
        with contextlib.suppress(AttributeError):
            self.fs.invalidate_cache(remote)
        try:
            return int(self.fs.size(remote))
        except FileNotFoundError:
            return None
