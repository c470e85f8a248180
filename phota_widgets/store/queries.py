"""Run-store queries shared by the store's reading methods: filters, ordering, row mapping."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    func,
    literal_column,
    or_,
    select,
)

from phota_widgets.store.records import OutputRecord, RunRecord
from phota_widgets.store.schema import outputs, runs

if TYPE_CHECKING:
    from phota_widgets.store.files import FileStore

RUN_FIELDS = (
    "run_id", "endpoint", "params", "status", "created_at", "backend", "request_id", "job_id",
    "client_request_id", "elapsed", "cost", "error", "known_subjects", "note", "requests",
)  # fmt: skip
RUN_COLUMNS = [runs.c[name] for name in RUN_FIELDS]
OUTPUT_COLUMNS = [
    outputs.c[n] for n in ("run_id", "idx", "sha256", "output_format", "width", "height", "picked")
]
_CHUNK = 500
LOCAL_BACKEND = "local"
"""The backend name of the embedded server's runs (``local`` or ``local:<server id>``)."""


def epoch(when: float | datetime | None) -> float | None:
    """Epoch seconds of a datetime or number (None stays None)."""
    if isinstance(when, datetime):
        return when.timestamp()
    return None if when is None else float(when)


def run_filters(
    dialect: str,
    *,
    endpoint: str | None = None,
    prompt: str | None = None,
    status: str | None = None,
    since: float | datetime | None = None,
    until: float | datetime | None = None,
    run_ids: Sequence[str] | None = None,
    backend: str | None = None,
) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the run filters (prompt: case-insensitive substring;
    backend ``local``: every embedded server's runs, else the exact API root)."""
    conditions: list[ColumnElement[bool]] = []
    if endpoint is not None:
        conditions.append(runs.c.endpoint == endpoint)
    if backend == LOCAL_BACKEND:
        conditions.append(
            or_(runs.c.backend == LOCAL_BACKEND, runs.c.backend.startswith(f"{LOCAL_BACKEND}:"))
        )
    elif backend is not None:
        conditions.append(runs.c.backend == backend)
    if prompt is not None:
        if dialect == "sqlite":
            conditions.append(func.pw_icontains(runs.c.prompt, prompt) == 1)
        else:
            conditions.append(runs.c.prompt.icontains(prompt, autoescape=True))
    if status is not None:
        conditions.append(runs.c.status == status)
    if (start := epoch(since)) is not None:
        conditions.append(runs.c.created_at >= start)
    if (end := epoch(until)) is not None:
        conditions.append(runs.c.created_at < end)
    if run_ids is not None:
        conditions.append(runs.c.run_id.in_(list(run_ids)))
    return conditions


def newest_first(stmt: Select[Any], dialect: str) -> Select[Any]:
    """Order runs newest first (ties: later insert first on SQLite, run id elsewhere)."""
    tiebreak = literal_column("runs.rowid") if dialect == "sqlite" else runs.c.run_id
    return stmt.order_by(runs.c.created_at.desc(), tiebreak.desc())


def oldest_first(stmt: Select[Any], dialect: str) -> Select[Any]:
    """Order runs oldest first (the reverse of :func:`newest_first`)."""
    tiebreak = literal_column("runs.rowid") if dialect == "sqlite" else runs.c.run_id
    return stmt.order_by(runs.c.created_at, tiebreak)


def page(stmt: Select[Any], limit: int | None, offset: int) -> Select[Any]:
    """Apply LIMIT/OFFSET when asked for."""
    if limit is not None:
        stmt = stmt.limit(max(0, limit))
    if offset:
        stmt = stmt.offset(max(0, offset))
    return stmt


def load_runs(conn: Connection, stmt: Select[Any], files: FileStore) -> list[RunRecord]:
    """Run the run query, then fetch those runs' outputs in chunks of ids."""
    rows = conn.execute(stmt).all()
    found: dict[str, list[OutputRecord]] = {}
    ids = [row[0] for row in rows]
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        query = (
            select(*OUTPUT_COLUMNS)
            .where(outputs.c.run_id.in_(chunk))
            .order_by(outputs.c.run_id, outputs.c.idx)
        )
        for out in conn.execute(query):
            found.setdefault(out[0], []).append(output_record(out, files))
    records = []
    for row in rows:
        fields: dict[str, Any] = dict(zip(RUN_FIELDS, row, strict=True))
        fields["params"] = json.loads(fields["params"])
        fields["known_subjects"] = json.loads(fields["known_subjects"])
        records.append(RunRecord(**fields, outputs=tuple(found.get(row[0], ()))))
    return records


def output_record(row: Sequence[Any], files: FileStore) -> OutputRecord:
    """An OutputRecord from an outputs row (its path is built only when asked for)."""
    run_id, index, sha, ext, width, height, picked = row
    return OutputRecord(run_id, int(index), sha, ext, int(width), int(height), bool(picked), files)


def with_conditions(stmt: Select[Any], conditions: Sequence[ColumnElement[bool]]) -> Select[Any]:
    """Add the filter conditions (if any) to a statement."""
    return stmt.where(and_(*conditions)) if conditions else stmt


def filters_of(given: Mapping[str, Any]) -> dict[str, Any]:
    """The run filters among keyword arguments (drops None and paging keys)."""
    keys = ("endpoint", "prompt", "status", "since", "until")
    return {k: given[k] for k in keys if given.get(k) is not None}
