"""What each table-backed part of the run store starts from: its two engines."""

from __future__ import annotations

from sqlalchemy import Engine


class TablePart:
    """A part of the run store over some of its tables.

    Args:
        writer: engine (with write execution options) for changes.
        reader: engine for reads.
    """

    def __init__(self, writer: Engine, reader: Engine) -> None:
        self._writer = writer
        self._reader = reader
