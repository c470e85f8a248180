"""Database failures of the run store turned into :class:`StoreError` in words.

One SQLAlchemy ``handle_error`` hook sees every failed statement and connection of an index
engine and names the file or URL (password hidden) and what to do. Before an SQLite index is
opened, its file is checked: the wrong kind of file is refused, and a zero-byte index beside
stored images is kept aside instead of being silently recreated empty.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext

from phota_widgets.store.errors import (
    StoreBusyError,
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreReadOnlyError,
    StoreUnreachableError,
)

SQLITE_HEADER = b"SQLite format 3\x00"
"""The first bytes of every SQLite database file."""


def install(engine: Engine, where: str, outage_wait: float = 0.0) -> None:
    """Translate the engine's database failures into :class:`StoreError` naming ``where``.

    With ``outage_wait``, once the server has been reached, new connections are retried for up
    to that many seconds while it is down, and a lost connection is marked transient (the
    store's methods then run their transaction again: see :func:`ride_out`).
    """
    reached = False  # the first connection is never retried: a wrong --index fails at once

    def translate(context: ExceptionContext) -> BaseException | None:
        if context.is_pre_ping:  # the pool replaces a stale connection itself
            return None
        error = store_error(context.original_exception, where)
        if isinstance(error, StoreUnreachableError):
            error.transient = reached and outage_wait > 0
        return error

    def connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        nonlocal reached
        deadline = time.monotonic() + (outage_wait if reached else 0.0)
        delay = 0.1
        while True:
            try:
                conn = dialect.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.OperationalError:
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
            else:
                reached = True
                return conn

    event.listen(engine, "handle_error", translate, retval=True)
    if outage_wait > 0:
        event.listen(engine, "do_connect", connect)


T = TypeVar("T")


def ride_out(cls: type[T]) -> type[T]:
    """Run a store class's public methods (each one whole transaction) again after a lost
    connection, for up to the engine's outage wait: a database restart is waited out."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(member):
            setattr(cls, name, _retrying(member))
    return cls


def _retrying(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        from phota_widgets.store.engine import OUTAGE_WAIT

        deadline = time.monotonic() + OUTAGE_WAIT
        delay = 0.2
        while True:
            try:
                return method(*args, **kwargs)
            except StoreUnreachableError as exc:
                if not exc.transient or time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    return call


def store_error(exc: BaseException | None, where: str) -> StoreError | None:
    """The :class:`StoreError` a driver's exception stands for, or None to keep it."""
    if exc is None:
        return None
    text = str(exc).lower()
    kind = type(exc).__module__.split(".")[0]
    if "database is locked" in text or "database table is locked" in text:
        from phota_widgets.store.engine import LOCK_WAIT

        return StoreBusyError(
            f"run store index {where}: another process has held its write lock for over "
            f"{LOCK_WAIT:g} s; wait for it to finish (or stop it) and try again",
            where,
        )
    if "readonly database" in text or "read-only" in text:
        return StoreReadOnlyError(
            f"run store index {where} is read-only (a read-only mount or its permissions): "
            "browsing works, but runs, picks and judgements cannot be saved; open a writable "
            "copy (output_dir=...) to work on it",
            where,
        )
    if "disk is full" in text or "no space left" in text or "disk full" in text:
        return StoreFullError(
            f"run store {where}: the disk is full; free some space and run again (cells already "
            "paid for are kept and collected then)",
            where,
        )
    if "not a database" in text or "malformed" in text or "file is encrypted" in text:
        return StoreCorruptError(
            f"run store index {where} is damaged or not an SQLite database ({exc}); restore it "
            "from a backup, or move it away to start a new index (images/ is kept)",
            where,
        )
    if kind == "psycopg" and _is_connection_failure(exc, text):
        return StoreUnreachableError(
            f"run store index {where} does not answer ({_first_line(exc)}); check that the "
            "database server is running and reachable, then try again",
            where,
        )
    if "unable to open database file" in text:
        return StoreReadOnlyError(
            f"run store index {where} cannot be opened (a missing or read-only folder?)", where
        )
    return None


def check_sqlite_file(index: Path, root: Path) -> None:
    """Refuse an index file that is not SQLite; keep an empty one aside if images exist.

    Raises:
        StoreCorruptError: the file is the wrong kind, or empty while ``images/`` has outputs.
    """
    try:
        with index.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(
            f"run store index {index} cannot be read ({exc.strerror})", str(index)
        ) from None
    if not head:
        images = _count_images(root / "images")
        if not images:
            return  # a new, empty store: SQLite fills the file in
        aside = index.with_name(f"{index.name}.empty-{time.strftime('%Y%m%d-%H%M%S')}")
        index.rename(aside)
        raise StoreCorruptError(
            f"run store index {index} was empty (0 bytes) while {root / 'images'} holds "
            f"{images} output images: the index was lost (a full disk or an interrupted copy?). "
            f"The empty file was kept aside as {aside.name}; restore {index.name} from a backup, "
            "or open the store again to start a new index beside the images (none is deleted)",
            str(index),
        )
    if head != SQLITE_HEADER[: len(head)] or len(head) < len(SQLITE_HEADER):
        raise StoreCorruptError(
            f"run store index {index} is not an SQLite database (it starts {head[:8]!r}): "
            "restore it from a backup, or move it away to start a new index (images/ is kept)",
            str(index),
        )


def _count_images(folder: Path) -> int:
    return sum(1 for p in folder.glob("*/*") if p.is_file()) if folder.is_dir() else 0


def _is_connection_failure(exc: BaseException, text: str) -> bool:
    operational = any(c.__name__ == "OperationalError" for c in type(exc).__mro__)
    return operational and any(
        word in text
        for word in ("connection", "connect", "server closed", "terminating", "could not")
    )


def _first_line(exc: Any) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
