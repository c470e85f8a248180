"""The run store as a pandas DataFrame: one SQL query, parameters spread into columns."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from phota_widgets.store.queries import newest_first, with_conditions
from phota_widgets.store.schema import runs

if TYPE_CHECKING:
    import pandas
    from sqlalchemy import ColumnElement

    from phota_widgets.store.records import RunRecord

COLUMNS = [
    "run_id", "created_at", "endpoint", "prompt", "status", "n_outputs", "picks",
    "cost", "elapsed", "requests", "request_id", "job_id", "backend", "error",
]  # fmt: skip


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "RunStore.to_dataframe needs pandas: pip install pandas (a dependency of phota-widgets)"
        ) from exc
    return pd


def query_frame(
    conn: Connection, conditions: Sequence[ColumnElement[bool]], dialect: str
) -> pandas.DataFrame:
    """Matching runs newest first, with output and pick counts (kept on the run), in one
    query that reads only the runs table."""
    pd = _pandas()
    stmt = select(
        runs.c.run_id, runs.c.created_at, runs.c.endpoint, runs.c.prompt, runs.c.status,
        runs.c.n_outputs, runs.c.n_picked.label("picks"), runs.c.cost, runs.c.elapsed,
        runs.c.requests, runs.c.request_id, runs.c.job_id, runs.c.backend, runs.c.error,
        runs.c.params,
    )  # fmt: skip
    stmt = newest_first(with_conditions(stmt, conditions), dialect)
    rows, names = _fetch_raw(conn, stmt)
    params = json.loads("[" + ",".join([row[-1] for row in rows]) + "]")  # one parse for all
    frame = pd.DataFrame.from_records(rows, columns=names, exclude=["params"])
    return _finish(frame, params)


def _fetch_raw(conn: Connection, stmt: Any) -> tuple[list[tuple[Any, ...]], list[str]]:
    """Run a statement on the driver's own cursor: plain tuples, none of SQLAlchemy's per-row
    result processing (the frame is built from them in one go, as ``pandas.read_sql`` does)."""
    compiled = stmt.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    args: Any = params
    if compiled.positional and compiled.positiontup is not None:
        args = tuple(params[name] for name in compiled.positiontup)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), args)
        rows = cursor.fetchall()
        names = [d[0] for d in cursor.description]
    finally:
        cursor.close()
    return rows, names


def records_frame(records: Sequence[RunRecord]) -> pandas.DataFrame:
    """The same frame built from records already loaded."""
    pd = _pandas()
    rows = [_record_row(run) for run in records]
    frame = pd.DataFrame.from_records(rows, columns=COLUMNS)
    return _finish(frame, [run.params for run in records])


def _record_row(run: RunRecord) -> tuple[Any, ...]:
    picked = sum(o.picked for o in run.outputs)
    return (
        run.run_id, run.created_at, run.endpoint, run.prompt, run.status, len(run.outputs),
        picked, run.cost, run.elapsed, run.requests, run.request_id, run.job_id, run.backend,
        run.error,
    )  # fmt: skip


def _finish(frame: pandas.DataFrame, params: list[dict[str, Any]]) -> pandas.DataFrame:
    pd = _pandas()
    frame["created_at"] = pd.to_datetime(frame["created_at"], unit="s", utc=True)
    frame["n_outputs"] = frame["n_outputs"].astype("int64")
    frame["picks"] = frame["picks"].astype("int64")
    names = list(dict.fromkeys(name for run in params for name in run))
    if not names:
        return frame
    spread = pd.DataFrame(
        {f"param_{name}": [run.get(name) for run in params] for name in names}, index=frame.index
    )  # a column at a time: much quicker than a frame from 10,000 dicts
    return pd.concat([frame, spread], axis=1)
