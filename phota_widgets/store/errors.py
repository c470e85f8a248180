"""Failures of the run store, in words: which file or URL (never a password) and what to do.

::

    StoreError                      the store cannot be opened, read or written
     ├── StoreCorruptError          the index is not a database (truncated, overwritten, wrong kind)
     ├── StoreVersionError          written by a newer phota-widgets (or older, read-only)
     ├── StoreReadOnlyError         the folder or database refuses writes
     ├── StoreFullError             no space left
     ├── StoreBusyError             another process held the lock too long
     ├── StoreUnreachableError      the index server does not answer
     └── StoreRowError              a row of the index is not what the toolkit writes (refused)
"""

from __future__ import annotations

from phota_widgets.api.errors import PhotaError


class StoreError(PhotaError):
    """The run store cannot be opened, read or written; the message says where and what to do.

    Attributes:
        where: the file or URL at fault (any password hidden).
    """

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


class StoreCorruptError(StoreError):
    """The index file is not a database this toolkit can read (truncated, overwritten, ...)."""


class StoreVersionError(StoreError, RuntimeError):
    """The store was written by a newer phota-widgets (or an older one, opened read-only)."""


class StoreReadOnlyError(StoreError):
    """The store refuses writes (a read-only mount or permissions); it can still be browsed."""


class StoreFullError(StoreError):
    """The disk (or database) holding the store is full."""


class StoreBusyError(StoreError):
    """Another process held the store's write lock longer than the wait allows."""


class StoreUnreachableError(StoreError):
    """The index server (PostgreSQL) does not answer.

    Attributes:
        transient: the server was reached before and the connection was lost (a restart):
            the store's methods wait for it to come back before raising this.
    """

    transient: bool = False


class StoreRowError(StoreError):
    """A row of the index holds a value the toolkit never writes (a hash that is not a hash, a
    path outside the store, an id outside its alphabet); it is refused, never followed."""
