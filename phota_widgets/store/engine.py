"""Opening the index database: SQLite (one file, WAL) or PostgreSQL, through SQLAlchemy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

WRITE = {"phota_write": True}
"""Execution options of a write transaction (SQLite takes its write lock at BEGIN)."""


def open_engine(url: str) -> Engine:
    """An engine for the index at ``url`` (``sqlite:///…`` or ``postgresql+psycopg://…``).

    Raises:
        ValueError: if the URL names a database this store does not support.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 30.0, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True, pool_size=4, max_overflow=8)
    raise ValueError(
        f"the run store index must be SQLite or PostgreSQL (sqlite:///path or "
        f"postgresql+psycopg://user@host/db), got {backend!r}"
    )


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
