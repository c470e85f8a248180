"""CSV that is safe to open in a spreadsheet: the one way the toolkit writes CSV.

A cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is read by
Excel, LibreOffice and Google Sheets as a formula, so a prompt such as
``=HYPERLINK("http://evil.example", "click")`` would run when the file is opened. Following
OWASP's rule for CSV injection, such text cells are written with a single quote in front
(``'=HYPERLINK(...)``), which spreadsheets show as text. Numbers are left as they are (``-0.5``
stays a number); only text is quoted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from phota_widgets.files import atomic_write

if TYPE_CHECKING:
    import pandas

__all__ = ["FORMULA_STARTS", "csv_bytes", "frame_csv_bytes", "safe_cell", "write_frame_csv"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""


def safe_cell(value: Any) -> Any:
    """The value, with a single quote in front if it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A header and rows as UTF-8 CSV, every text cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def frame_csv_bytes(frame: pandas.DataFrame) -> bytes:
    """A DataFrame (without its index) as UTF-8 CSV, every text cell made safe."""
    from pandas.api.types import is_numeric_dtype

    safe = frame.copy()
    safe.columns = [safe_cell(str(name)) for name in frame.columns]
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        if not is_numeric_dtype(column):
            safe.isetitem(position, column.map(safe_cell))
    return str(safe.to_csv(index=False)).encode("utf-8")


def write_frame_csv(frame: pandas.DataFrame, path: Path) -> Path:
    """Write a DataFrame as safe CSV, atomically (folders created), and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, frame_csv_bytes(frame))
    return path
