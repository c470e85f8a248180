"""Sweeps and their cells as rows of the run store (tables ``sweeps`` and ``sweep_cells``).

Every SQL statement about sweeps lives in this module. A cell row links a cell's stable key to
the run that answered it; the run itself (parameters, status, outputs, cost) stays in ``runs``.
A key answered in any earlier sweep counts as answered, so a sweep never pays for it again.
"""

from __future__ import annotations

import json
import re
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from phota_widgets.experiments.sweeps.cells import CellInfo
from phota_widgets.experiments.sweeps.plan import SweepPlan
from phota_widgets.redact import redact
from phota_widgets.store import RunStore
from phota_widgets.store.errors import StoreRowError

_CHUNK = 500
_SWEEP_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_RANK = {"succeeded": 4, "submitted": 3, "failed": 2, "running": 1, "cancelled": 0}
"""Which run of a key counts when there are several: a success over everything else."""


@dataclass(frozen=True)
class CellState:
    """What the store knows of a cell key: its best run and that run's status."""

    run_id: str | None
    status: str
    error: str | None = None


@dataclass(frozen=True)
class CellRow:
    """A stored cell: its labels, the run linked to it, and an error raised before any run."""

    info: CellInfo
    run_id: str | None
    error: str | None


@dataclass(frozen=True)
class SweepRow:
    """A stored sweep's header."""

    sweep_id: str
    name: str | None
    endpoint: str
    spec: dict[str, Any]
    created_at: float
    updated_at: float


def plan_spec(plan: SweepPlan) -> dict[str, Any]:
    """What a plan looks like without its cells: axes, fixed settings, skips, repeats."""
    return {
        "endpoint": plan.endpoint,
        "name": plan.name,
        "axes": plan.axes,
        "fixed": plan.fixed,
        "repeats": plan.repeats,
        "skipped": [
            {"settings": dict(s.settings), "reason": s.reason, "cells": s.cells}
            for s in plan.skipped
        ],
    }


def save_sweep(store: RunStore, plan: SweepPlan) -> str:
    """Record a sweep and its cells (before any call); a sweep saved earlier is kept as is."""
    now = time.time()
    sweep_id = plan.sweep_id
    store.execute(
        "INSERT INTO sweeps (sweep_id, name, endpoint, spec, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sweep_id) DO UPDATE SET"
        " updated_at = excluded.updated_at, name = COALESCE(excluded.name, sweeps.name)",
        (sweep_id, plan.name, plan.endpoint, json.dumps(plan_spec(plan)), now, now),
    )
    store.execute_many(
        "INSERT INTO sweep_cells (sweep_id, cell_key, position, cell)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (
            (sweep_id, c.key, c.info.position, json.dumps(c.info.to_json(), ensure_ascii=False))
            for c in plan.cells
        ),
    )
    return sweep_id


def cell_states(store: RunStore, sweep_id: str, keys: Sequence[str]) -> dict[str, CellState]:
    """The best known run of each key (from any sweep), or this sweep's pre-run error."""
    states: dict[str, CellState] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = list(keys[start : start + _CHUNK])
        marks = ",".join("?" * len(chunk))
        rows = store.execute(
            "SELECT c.cell_key, c.run_id, r.status, r.error FROM sweep_cells c"
            f" JOIN runs r ON r.run_id = c.run_id WHERE c.cell_key IN ({marks})"
            " ORDER BY r.created_at",
            chunk,
        )
        for key, run_id, status, error in rows:
            known = states.get(key)
            if known is None or _RANK.get(status, 0) >= _RANK.get(known.status, 0):
                states[key] = CellState(run_id, status, error)
    for key, error in store.execute(
        "SELECT cell_key, error FROM sweep_cells WHERE sweep_id = ? AND run_id IS NULL"
        " AND error IS NOT NULL",
        (sweep_id,),
    ):
        states.setdefault(key, CellState(None, "failed", error))
    return states


def link_runs(store: RunStore, sweep_id: str, links: Iterable[tuple[str, str]]) -> None:
    """Link cells (key, run id) of a sweep to their runs."""
    store.execute_many(
        "UPDATE sweep_cells SET run_id = ?, error = NULL WHERE sweep_id = ? AND cell_key = ?",
        ((run_id, sweep_id, key) for key, run_id in links),
    )


def set_cell_error(store: RunStore, sweep_id: str, key: str, error: str) -> None:
    """Record why a cell failed before any run was recorded for it."""
    store.execute(
        "UPDATE sweep_cells SET error = ? WHERE sweep_id = ? AND cell_key = ? AND run_id IS NULL",
        (redact(error), sweep_id, key),
    )


def load_sweep(store: RunStore, sweep_id: str) -> tuple[SweepRow, list[CellRow]]:
    """A stored sweep and its cells, in plan order.

    Raises:
        KeyError: no sweep has this id.
    """
    found = store.execute(
        "SELECT sweep_id, name, endpoint, spec, created_at, updated_at FROM sweeps"
        " WHERE sweep_id = ?",
        (sweep_id,),
    )
    if not found:
        raise KeyError(f"unknown sweep id {sweep_id!r} (see session.sweeps())")
    sid, name, endpoint, spec, created, updated = found[0]
    check_sweep_id(sid)
    header = SweepRow(sid, name, endpoint, json.loads(spec), created, updated)
    cells = [
        CellRow(CellInfo.from_json(key, position, json.loads(cell)), run_id, error)
        for key, position, cell, run_id, error in store.execute(
            "SELECT cell_key, position, cell, run_id, error FROM sweep_cells"
            " WHERE sweep_id = ? ORDER BY position",
            (sweep_id,),
        )
    ]
    return header, cells


def list_sweeps(store: RunStore) -> list[tuple[SweepRow, int, int, int]]:
    """Every sweep, newest first, with its cell count, succeeded cells and failed cells."""
    rows = store.execute(
        "SELECT s.sweep_id, s.name, s.endpoint, s.spec, s.created_at, s.updated_at,"
        " COUNT(c.cell_key),"
        " COALESCE(SUM(CASE WHEN r.status = 'succeeded' THEN 1 ELSE 0 END), 0),"
        " COALESCE(SUM(CASE WHEN r.status = 'failed' OR (c.run_id IS NULL"
        " AND c.error IS NOT NULL) THEN 1 ELSE 0 END), 0)"
        " FROM sweeps s LEFT JOIN sweep_cells c ON c.sweep_id = s.sweep_id"
        " LEFT JOIN runs r ON r.run_id = c.run_id"
        " GROUP BY s.sweep_id ORDER BY s.updated_at DESC, s.created_at DESC, s.sweep_id"
    )
    listed = []
    for sid, name, ep, spec, created, updated, n, ok, bad in rows:
        try:
            check_sweep_id(sid)
        except StoreRowError as exc:
            warnings.warn(f"{exc}; it is left out of the list", UserWarning, stacklevel=3)
            continue
        row = SweepRow(sid, name, ep, json.loads(spec), created, updated)
        listed.append((row, int(n), int(ok), int(bad)))
    return listed


def check_sweep_id(sweep_id: object) -> str:
    """A sweep id read back from the index: letters, digits, ``_`` and ``-`` only.

    Raises:
        StoreRowError: any other id (it would name a folder outside the exports).
    """
    if not isinstance(sweep_id, str) or not _SWEEP_ID.fullmatch(sweep_id):
        raise StoreRowError(
            f"the run store index holds a sweep with the id {str(sweep_id)[:80]!r}; sweep ids "
            "are letters, digits, _ and - (the row was altered): it is refused, not followed"
        )
    return sweep_id


def typical_seconds(store: RunStore, endpoint: str, backend: str) -> float | None:
    """Median time of this endpoint's last succeeded runs on this backend, if any."""
    rows = store.execute(
        "SELECT elapsed FROM runs WHERE endpoint = ? AND backend = ? AND status = 'succeeded'"
        " AND elapsed IS NOT NULL ORDER BY created_at DESC LIMIT 50",
        (endpoint, backend),
    )
    if not rows:
        return None
    values = sorted(float(r[0]) for r in rows)
    return values[len(values) // 2]
