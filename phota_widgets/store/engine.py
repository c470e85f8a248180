"""Opening the index database: SQLite (one file, WAL) or PostgreSQL, through SQLAlchemy."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from phota_widgets.store import failures

LOCK_WAIT = 30.0
"""Seconds an SQLite index waits for another process's write lock before giving up."""
CONNECT_TIMEOUT = 10
"""Seconds a PostgreSQL index may take to accept a connection."""
OUTAGE_WAIT = 30.0
"""Seconds new PostgreSQL connections are retried while the server is down (a restart)."""
WRITE = {"phota_write": True}
"""Execution options of a write transaction (SQLite takes its write lock at BEGIN)."""


def open_engine(url: str) -> Engine:
    """An engine for the index at ``url`` (``sqlite:///…`` or ``postgresql+psycopg://…``).

    Raises:
        ValueError: if the URL names a database this store does not support.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    where = parsed.render_as_string(hide_password=True)
    if backend == "sqlite":
        file = (parsed.database or "").removeprefix("file:")
        if file:
            failures.check_sqlite_file(Path(file), Path(file).parent)
        engine = create_engine(
            parsed, connect_args={"timeout": LOCK_WAIT, "check_same_thread": False}
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        failures.install(engine, file or where)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(
            parsed,
            pool_pre_ping=True,
            pool_size=4,
            max_overflow=8,
            connect_args={"connect_timeout": CONNECT_TIMEOUT},
        )
        failures.install(engine, where, OUTAGE_WAIT)
        return engine
    raise ValueError(
        f"the run store index must be SQLite or PostgreSQL (sqlite:///path or "
        f"postgresql+psycopg://user@host/db), got {backend!r}"
    )


def sqlite_url(path: Path, *, read_only: bool = False) -> str:
    """The URL of an SQLite index file; read-only opens it as immutable (a read-only mount)."""
    if not read_only:
        return f"sqlite:///{path}"
    return f"sqlite:///file:{path}?mode=ro&immutable=1&uri=true"


def read_only_folder(folder: Path) -> bool:
    """Whether an existing store folder refuses writes (a read-only mount or permissions)."""
    return (folder / "runs.sqlite3").is_file() and not os.access(folder, os.W_OK)


def display_url(engine: Engine) -> str:
    """The engine's URL with any password hidden (for reprs and errors)."""
    return engine.url.render_as_string(hide_password=True)


def icontains(haystack: str | None, needle: str) -> bool:
    """Case-insensitive substring test, Unicode-aware (SQLite's ``lower`` is ASCII only)."""
    return haystack is not None and needle.casefold() in haystack.casefold()


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # transactions are begun explicitly below
    dbapi_conn.create_function("pw_icontains", 2, icontains, deterministic=True)
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("phota_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
