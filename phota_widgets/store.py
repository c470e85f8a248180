"""RunStore: the durable record of every Phota run, so nothing paid for is ever lost.

Layout under ``root``::

    runs.sqlite3                 index of runs and outputs (WAL mode, schema in PRAGMA user_version)
    images/<sha[:2]>/<sha>.<ext> output images, named by the sha256 of their bytes
    inputs/<sha[:2]>/<sha><sfx>  input images, content-addressed the same way
    thumbs/<sha>_<max_px>.jpg    cached JPEG thumbnails

Every file is written atomically (temp file in the same folder, fsync, ``os.replace``) and every
database write commits at once. One connection is shared by all threads behind a lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from PIL import Image

from phota_widgets.api.thumbnails import THUMBNAIL_MAX_PX, thumbnail_jpeg
from phota_widgets.files import atomic_write, write_once
from phota_widgets.redact import redact, scrub_params

if TYPE_CHECKING:
    import pandas

__all__ = ["JudgementRecord", "OutputRecord", "RatingRecord", "RunRecord", "RunStatus", "RunStore"]

RunStatus = Literal["running", "submitted", "succeeded", "failed", "cancelled"]
_STATUSES: frozenset[str] = frozenset(get_args(RunStatus))

SCHEMA_VERSION = 1
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_EXT_RE = re.compile(r"^[a-z0-9]{1,8}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, endpoint TEXT NOT NULL, params TEXT NOT NULL, prompt TEXT,
    status TEXT NOT NULL, created_at REAL NOT NULL, backend TEXT NOT NULL,
    request_id TEXT, job_id TEXT, client_request_id TEXT, elapsed REAL, cost REAL, error TEXT,
    known_subjects TEXT NOT NULL DEFAULT '{}', note TEXT);
CREATE INDEX IF NOT EXISTS runs_created ON runs (created_at);
CREATE TABLE IF NOT EXISTS outputs (
    run_id TEXT NOT NULL REFERENCES runs (run_id), idx INTEGER NOT NULL, sha256 TEXT NOT NULL,
    output_format TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
    picked INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (run_id, idx));
CREATE TABLE IF NOT EXISTS judgements (
    judgement_id INTEGER PRIMARY KEY AUTOINCREMENT, output_a TEXT NOT NULL, output_b TEXT NOT NULL,
    winner TEXT NOT NULL, shown_left TEXT, judge TEXT NOT NULL, created_at REAL NOT NULL,
    sweep_id TEXT);
CREATE INDEX IF NOT EXISTS judgements_output_a ON judgements (output_a);
CREATE TABLE IF NOT EXISTS ratings (
    output_id TEXT NOT NULL, judge TEXT NOT NULL, stars INTEGER NOT NULL, note TEXT,
    created_at REAL NOT NULL, PRIMARY KEY (output_id, judge));
CREATE TABLE IF NOT EXISTS run_owners (
    run_id TEXT PRIMARY KEY REFERENCES runs (run_id), owner TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sweeps (
    sweep_id TEXT PRIMARY KEY, name TEXT, endpoint TEXT NOT NULL, spec TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sweep_cells (
    sweep_id TEXT NOT NULL REFERENCES sweeps (sweep_id), cell_key TEXT NOT NULL,
    position INTEGER NOT NULL, cell TEXT NOT NULL, run_id TEXT, error TEXT,
    PRIMARY KEY (sweep_id, cell_key));
CREATE INDEX IF NOT EXISTS sweep_cells_key ON sweep_cells (cell_key);
CREATE INDEX IF NOT EXISTS sweep_cells_run ON sweep_cells (run_id);
"""
_WINNERS = ("a", "b", "tie", "both_bad")
_RUN_FIELDS = (
    "run_id", "endpoint", "params", "status", "created_at", "backend", "request_id", "job_id",
    "client_request_id", "elapsed", "cost", "error", "known_subjects", "note",
)  # fmt: skip
_RUN_COLS = ", ".join(_RUN_FIELDS)


@dataclass(frozen=True)
class OutputRecord:
    """One output image of a run, stored on disk under its content hash."""

    run_id: str
    index: int
    path: Path
    sha256: str
    output_format: str
    width: int
    height: int
    picked: bool


@dataclass(frozen=True)
class RunRecord:
    """One call to the Phota API: what was asked, what happened, and what came back."""

    run_id: str
    endpoint: str
    params: dict[str, Any]
    status: RunStatus
    created_at: float
    backend: str
    request_id: str | None
    job_id: str | None
    client_request_id: str | None
    elapsed: float | None
    cost: float | None
    error: str | None
    known_subjects: dict[str, int]
    note: str | None
    outputs: tuple[OutputRecord, ...]

    @property
    def prompt(self) -> str | None:
        """The run's prompt, if it had one."""
        value = self.params.get("prompt")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class JudgementRecord:
    """One pairwise judgement of two outputs (ids ``"<run_id>:<index>"``).

    ``winner`` is ``"a"``, ``"b"``, ``"tie"`` or ``"both_bad"``; ``shown_left`` says which of
    the two was shown on the left (None when judged from code, without showing).
    """

    judgement_id: int
    output_a: str
    output_b: str
    winner: str
    shown_left: str | None
    judge: str
    created_at: float
    sweep_id: str | None


@dataclass(frozen=True)
class RatingRecord:
    """One judge's 1-5 stars (and optional note) for one output."""

    output_id: str
    judge: str
    stars: int
    note: str | None
    created_at: float


class RunStore:
    """SQLite index plus content-addressed image files; safe to use from several threads.

    Args:
        root: folder of the store; created if missing, reopened if it already holds a store.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()
        for sub in ("images", "thumbs", "inputs"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self.root / "runs.sqlite3", timeout=10.0, check_same_thread=False
        )
        self._conn.create_function("pw_icontains", 2, _icontains, deterministic=True)
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                self._conn.close()
                raise RuntimeError(
                    f"run store {self.root} has schema v{version}; this phota-widgets reads "
                    f"up to v{SCHEMA_VERSION}: upgrade phota-widgets"
                )
            with self._conn:
                self._conn.executescript(_SCHEMA)
                self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self._closed = False

    # -- writing -------------------------------------------------------------------------------

    def start_run(
        self,
        endpoint: str,
        params: Mapping[str, Any],
        *,
        backend: str = "",
        status: RunStatus = "running",
        client_request_id: str | None = None,
        owner: str | None = None,
    ) -> str:
        """Record a new run and return its id; params are scrubbed of secrets and bulk first.

        Args:
            client_request_id: the idempotency key it will be submitted with (kept from the
                start, so a run waiting for its turn is never lost).
            owner: the token of the process running it (see :mod:`phota_widgets.owners`).

        Raises:
            ValueError: if params hold bytes or values that are not JSON-able.
        """
        _check_status(status)
        clean = scrub_params(params)
        prompt = clean.get("prompt")
        run_id = uuid.uuid4().hex[:12]
        row = (
            run_id, endpoint, json.dumps(clean, ensure_ascii=False),
            prompt if isinstance(prompt, str) else None, status, time.time(), backend,
            client_request_id,
        )  # fmt: skip
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO runs (run_id, endpoint, params, prompt, status, created_at, backend,"
                " client_request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            if owner is not None:
                self._conn.execute(
                    "INSERT INTO run_owners (run_id, owner) VALUES (?, ?)", (run_id, owner)
                )
        return run_id

    def unfinished_runs(self) -> list[tuple[RunRecord, str | None]]:
        """Runs still ``running`` or ``submitted``, oldest first, each with its owner's token."""
        records = self._select("WHERE status IN ('running', 'submitted') ORDER BY created_at", ())
        with self._lock:
            owners = dict(
                self._conn.execute(
                    "SELECT o.run_id, o.owner FROM run_owners o JOIN runs r USING (run_id)"
                    " WHERE r.status IN ('running', 'submitted')"
                ).fetchall()
            )
        return [(record, owners.get(record.run_id)) for record in records]

    def run_owner(self, run_id: str) -> str | None:
        """The token of the process a run belongs to (None for runs recorded without one)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT owner FROM run_owners WHERE run_id = ?", (run_id,)
            ).fetchone()
        return None if row is None else str(row[0])

    def claim_run(self, run_id: str, owner: str, *, previous: str | None) -> bool:
        """Take over a run from ``previous`` (a dead owner); False if someone else was quicker."""
        with self._lock, self._conn:
            if previous is None:
                cur = self._conn.execute(
                    "INSERT OR IGNORE INTO run_owners (run_id, owner) VALUES (?, ?)",
                    (run_id, owner),
                )
            else:
                cur = self._conn.execute(
                    "UPDATE run_owners SET owner = ? WHERE run_id = ? AND owner = ?",
                    (owner, run_id, previous),
                )
        return cur.rowcount == 1

    def record_job(self, run_id: str, job_id: str, client_request_id: str | None) -> None:
        """Remember an async job's id (before waiting on it) and mark the run "submitted"."""
        self._update(
            run_id,
            "status = 'submitted', job_id = ?, client_request_id = ?",
            (job_id, client_request_id),
        )

    def add_output(self, run_id: str, index: int, data: bytes, output_format: str) -> OutputRecord:
        """Write an output image atomically under its sha256 and record it.

        The same bytes always map to the same file, written once. Width and height are read
        from the image header; an image Pillow cannot read is still kept, with a 0 x 0 size.
        """
        if index < 0:
            raise ValueError(f"output index must be >= 0, got {index}")
        if not data:
            raise ValueError(f"output {index} of run {run_id!r} is empty")
        ext = output_format.lower().lstrip(".")
        ext = "jpg" if ext == "jpeg" else ext
        if not _EXT_RE.match(ext):
            raise ValueError(f"bad output format {output_format!r}")
        self._require(run_id)
        sha = hashlib.sha256(data).hexdigest()
        path = self._image_path(sha, ext)
        write_once(path, data)
        width, height = _image_size(data)
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO outputs (run_id, idx, sha256, output_format, width, height)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, idx) DO UPDATE SET"
                " sha256 = excluded.sha256, output_format = excluded.output_format,"
                " width = excluded.width, height = excluded.height",
                (run_id, index, sha, ext, width, height),
            )
            row = self._conn.execute(
                "SELECT picked FROM outputs WHERE run_id = ? AND idx = ?", (run_id, index)
            ).fetchone()
        return OutputRecord(run_id, index, path, sha, ext, width, height, bool(row[0]))

    def finish_run(
        self,
        run_id: str,
        *,
        status: RunStatus,
        request_id: str | None = None,
        elapsed: float | None = None,
        cost: float | None = None,
        error: str | None = None,
        known_subjects: Mapping[str, int] | None = None,
    ) -> None:
        """Set a run's final status; fields left as None keep their value (except error)."""
        _check_status(status)
        subjects = None if known_subjects is None else json.dumps(dict(known_subjects))
        self._update(
            run_id,
            "status = ?, request_id = COALESCE(?, request_id), elapsed = COALESCE(?, elapsed),"
            " cost = COALESCE(?, cost), error = ?, known_subjects = COALESCE(?, known_subjects)",
            (status, request_id, elapsed, cost, redact(error), subjects),
        )

    def set_pick(self, run_id: str, index: int, picked: bool = True) -> None:
        """Mark (or unmark) one output of a run as picked."""
        with self._lock, self._conn:
            cur = self._conn.execute(
                "UPDATE outputs SET picked = ? WHERE run_id = ? AND idx = ?",
                (int(picked), run_id, index),
            )
            if cur.rowcount == 0:
                self._require(run_id)
                raise KeyError(f"run {run_id!r} has no output {index}")

    def set_note(self, run_id: str, note: str | None) -> None:
        """Attach a free-text note to a run (None clears it)."""
        self._update(run_id, "note = ?", (redact(note),))

    def store_input(self, data: bytes, suffix: str = "") -> str:
        """Save an input image under root/inputs/ by content and return its sha256.

        Callers put ``"sha256:<hex>"`` in params instead of the bytes.
        """
        if suffix and not suffix.startswith("."):
            suffix = "." + suffix
        if suffix and not _EXT_RE.match(suffix[1:].lower()):
            raise ValueError(f"bad file suffix {suffix!r}")
        sha = hashlib.sha256(data).hexdigest()
        if self.input_path(sha) is None:
            write_once(self.root / "inputs" / sha[:2] / f"{sha}{suffix.lower()}", data)
        return sha

    # -- reading -------------------------------------------------------------------------------

    def input_path(self, sha256: str) -> Path | None:
        """Path of a stored input image (``"sha256:"`` prefix allowed), or None if unknown."""
        sha = sha256.removeprefix("sha256:").lower()
        if not _SHA_RE.match(sha):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        folder = self.root / "inputs" / sha[:2]
        return next(iter(sorted(folder.glob(f"{sha}*"))), None)

    def get(self, run_id: str) -> RunRecord:
        """Return one run.

        Raises:
            KeyError: if no run has this id.
        """
        found = self._select("WHERE run_id = ?", (run_id,))
        if not found:
            raise KeyError(f"unknown run id {run_id!r}")
        return found[0]

    def runs_by_id(self, run_ids: Sequence[str]) -> list[RunRecord]:
        """The runs with these ids (unknown ids are left out), in no particular order."""
        found: list[RunRecord] = []
        for start in range(0, len(run_ids), 500):
            chunk = list(run_ids[start : start + 500])
            found += self._select(f"WHERE run_id IN ({','.join('?' * len(chunk))})", chunk)
        return found

    def runs(
        self,
        *,
        endpoint: str | None = None,
        prompt: str | None = None,
        status: RunStatus | None = None,
        since: float | datetime | None = None,
        until: float | datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[RunRecord]:
        """Runs matching every given filter, newest first.

        Args:
            endpoint: exact endpoint name.
            prompt: case-insensitive substring of the prompt.
            status: exact status.
            since: keep runs created at or after this time (epoch seconds or datetime).
            until: keep runs created strictly before this time.
            limit: at most this many runs.
            offset: skip this many (newest) runs first, for paging.
        """
        where, args = _filters(endpoint, prompt, status, since, until)
        sql = where + " ORDER BY created_at DESC, rowid DESC"
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            args += [-1 if limit is None else max(0, limit), max(0, offset)]
        return self._select(sql, args)

    def count(
        self,
        *,
        endpoint: str | None = None,
        prompt: str | None = None,
        status: RunStatus | None = None,
        since: float | datetime | None = None,
        until: float | datetime | None = None,
    ) -> int:
        """How many runs match the filters (without loading them)."""
        where, args = _filters(endpoint, prompt, status, since, until)
        with self._lock:
            row = self._conn.execute(f"SELECT COUNT(*) FROM runs {where}", args).fetchone()
        return int(row[0])

    def total_cost(self, status: RunStatus = "succeeded") -> float:
        """Sum of the cost estimates of runs with this status."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COALESCE(SUM(cost), 0) FROM runs WHERE status = ?", (status,)
            ).fetchone()
        return float(row[0])

    def record_submission(self, run_id: str, client_request_id: str) -> None:
        """Mark a run "submitted" with the idempotency key of a submit about to be sent.

        Should the answer be lost (or the kernel die), the run can be resubmitted with the same
        key: the server returns the same job, so nothing is paid twice.
        """
        self._update(run_id, "status = 'submitted', client_request_id = ?", (client_request_id,))

    def pending_jobs(self, backend: str | None = None) -> list[RunRecord]:
        """Submitted runs (with a job id or an idempotency key), oldest first: work to collect.

        Args:
            backend: only runs recorded against this backend.
        """
        sql = "WHERE status = 'submitted' AND (job_id IS NOT NULL OR client_request_id IS NOT NULL)"
        args: list[Any] = []
        if backend is not None:
            sql += " AND backend = ?"
            args.append(backend)
        return self._select(sql + " ORDER BY created_at, rowid", args)

    def picks(self) -> list[OutputRecord]:
        """Every picked output, newest run first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT o.* FROM outputs o JOIN runs r USING (run_id) WHERE o.picked"
                " ORDER BY r.created_at DESC, r.rowid DESC, o.idx"
            ).fetchall()
        return [self._output(row) for row in rows]

    def thumbnail(self, output: OutputRecord, max_px: int = THUMBNAIL_MAX_PX) -> bytes:
        """JPEG thumbnail of an output, cached under root/thumbs/<sha>_<max_px>.jpg."""
        path = self.root / "thumbs" / f"{output.sha256}_{int(max_px)}.jpg"
        with contextlib.suppress(FileNotFoundError):
            return path.read_bytes()
        data = thumbnail_jpeg(output.path.read_bytes(), max_px=max_px)
        atomic_write(path, data)
        return data

    def to_dataframe(self, runs: Sequence[RunRecord] | None = None) -> pandas.DataFrame:
        """One row per run (all runs, newest first, by default); params become param_<name>."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "RunStore.to_dataframe needs pandas: pip install pandas "
                "(or pip install 'phota-widgets[pandas]')"
            ) from exc
        records = self.runs() if runs is None else runs
        columns = [
            "run_id", "created_at", "endpoint", "prompt", "status", "n_outputs", "picks",
            "cost", "elapsed", "request_id", "job_id", "backend", "error",
        ]  # fmt: skip
        rows: list[dict[str, Any]] = []
        for run in records:
            values = (
                run.run_id, run.created_at, run.endpoint, run.prompt, run.status,
                len(run.outputs), sum(o.picked for o in run.outputs), run.cost, run.elapsed,
                run.request_id, run.job_id, run.backend, run.error,
            )  # fmt: skip
            row: dict[str, Any] = dict(zip(columns, values, strict=False))
            for key, value in run.params.items():
                name = f"param_{key}"
                row[name] = value
                if name not in columns:
                    columns.append(name)
            rows.append(row)
        frame = pd.DataFrame(rows, columns=columns)
        frame["created_at"] = pd.to_datetime(frame["created_at"], unit="s", utc=True)
        return frame

    # -- judgements and ratings -------------------------------------------------------------

    def add_judgement(
        self,
        output_a: str,
        output_b: str,
        winner: str,
        *,
        judge: str,
        shown_left: str | None = None,
        sweep_id: str | None = None,
    ) -> JudgementRecord:
        """Record (and commit at once) one pairwise judgement.

        Raises:
            ValueError: a bad winner or side, the same output twice, or an empty judge name.
        """
        if winner not in _WINNERS:
            raise ValueError(f"winner must be one of {list(_WINNERS)}, got {winner!r}")
        if shown_left not in (None, "a", "b"):
            raise ValueError(f"shown_left must be 'a', 'b' or None, got {shown_left!r}")
        if output_a == output_b:
            raise ValueError(f"an output cannot be judged against itself ({output_a!r})")
        if not judge.strip():
            raise ValueError("the judge's name is empty")
        now = time.time()
        with self._lock, self._conn:
            cur = self._conn.execute(
                "INSERT INTO judgements (output_a, output_b, winner, shown_left, judge,"
                " created_at, sweep_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (output_a, output_b, winner, shown_left, judge, now, sweep_id),
            )
        return JudgementRecord(
            int(cur.lastrowid or 0), output_a, output_b, winner, shown_left, judge, now, sweep_id
        )

    def judgements(self, output_ids: Iterable[str]) -> list[JudgementRecord]:
        """The judgements between outputs that are both among ``output_ids``, oldest first."""
        wanted = set(output_ids)
        rows = self._rows_for(
            "SELECT judgement_id, output_a, output_b, winner, shown_left, judge, created_at,"
            " sweep_id FROM judgements WHERE output_a IN ({marks})",
            wanted,
        )
        found = [JudgementRecord(*row) for row in rows if row[2] in wanted]
        return sorted(found, key=lambda j: j.judgement_id)

    def set_rating(
        self, output_id: str, stars: int, note: str | None = None, *, judge: str
    ) -> RatingRecord:
        """Record one judge's stars for an output (replacing that judge's earlier stars).

        A note of None keeps the judge's earlier note; an empty note clears it.

        Raises:
            ValueError: stars not a whole number from 1 to 5, or an empty judge name.
        """
        if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
            raise ValueError(f"stars must be a whole number from 1 to 5, got {stars!r}")
        if not judge.strip():
            raise ValueError("the judge's name is empty")
        now = time.time()
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO ratings (output_id, judge, stars, note, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (output_id, judge) DO UPDATE SET"
                " stars = excluded.stars, note = CASE WHEN excluded.note IS NULL THEN note"
                " ELSE NULLIF(excluded.note, '') END,"
                " created_at = excluded.created_at",
                (output_id, judge, stars, redact(note), now),
            )
            row = self._conn.execute(
                "SELECT note FROM ratings WHERE output_id = ? AND judge = ?", (output_id, judge)
            ).fetchone()
        return RatingRecord(output_id, judge, stars, row[0] or None, now)

    def ratings(self, output_ids: Iterable[str]) -> list[RatingRecord]:
        """Every judge's rating of these outputs, oldest first."""
        rows = self._rows_for(
            "SELECT output_id, judge, stars, NULLIF(note, ''), created_at FROM ratings"
            " WHERE output_id IN ({marks})",
            set(output_ids),
        )
        return sorted((RatingRecord(*row) for row in rows), key=lambda r: r.created_at)

    def _rows_for(self, sql: str, keys: set[str]) -> list[tuple[Any, ...]]:
        """Run ``sql`` (with an ``IN ({marks})``) over the keys, 500 at a time."""
        ordered = sorted(keys)
        rows: list[tuple[Any, ...]] = []
        with self._lock:
            for start in range(0, len(ordered), 500):
                chunk = ordered[start : start + 500]
                rows += self._conn.execute(sql.format(marks=",".join("?" * len(chunk))), chunk)
        return rows

    def execute(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one SQL statement in its own transaction and return its rows.

        For the layers above that keep their own tables in this database (``experiments``).
        """
        with self._lock, self._conn:
            return [tuple(row) for row in self._conn.execute(sql, tuple(args)).fetchall()]

    def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one SQL statement for each row of arguments, all in one transaction."""
        with self._lock, self._conn:
            self._conn.executemany(sql, rows)

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database connection (idempotent)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RunStore({str(self.root)!r})"

    # -- internals -----------------------------------------------------------------------------

    def _image_path(self, sha: str, ext: str) -> Path:
        return self.root / "images" / sha[:2] / f"{sha}.{ext}"

    def _require(self, run_id: str) -> None:
        with self._lock:
            row = self._conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise KeyError(f"unknown run id {run_id!r}")

    def _update(self, run_id: str, assignments: str, args: tuple[Any, ...]) -> None:
        with self._lock, self._conn:
            cur = self._conn.execute(
                f"UPDATE runs SET {assignments} WHERE run_id = ?", (*args, run_id)
            )
        if cur.rowcount == 0:
            raise KeyError(f"unknown run id {run_id!r}")

    def _select(self, tail: str, args: Iterable[Any]) -> list[RunRecord]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_RUN_COLS} FROM runs {tail}", tuple(args)
            ).fetchall()
            outputs: dict[str, list[OutputRecord]] = {}
            ids = [row[0] for row in rows]
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for out in self._conn.execute(
                    f"SELECT * FROM outputs WHERE run_id IN ({marks}) ORDER BY idx", chunk
                ):
                    outputs.setdefault(out[0], []).append(self._output(out))
        records = []
        for r in rows:
            fields: dict[str, Any] = dict(zip(_RUN_FIELDS, r, strict=True))
            fields["params"] = json.loads(fields["params"])
            fields["known_subjects"] = json.loads(fields["known_subjects"])
            records.append(RunRecord(**fields, outputs=tuple(outputs.get(r[0], ()))))
        return records

    def _output(self, row: Sequence[Any]) -> OutputRecord:
        run_id, index, sha, ext, width, height, picked = row
        path = self._image_path(sha, ext)
        return OutputRecord(run_id, index, path, sha, ext, width, height, bool(picked))


# -- helpers -----------------------------------------------------------------------------------


def _icontains(haystack: str | None, needle: str) -> bool:
    return haystack is not None and needle.casefold() in haystack.casefold()


def _check_status(status: str) -> None:
    if status not in _STATUSES:
        raise ValueError(f"status must be one of {sorted(_STATUSES)}, got {status!r}")


def _epoch(when: float | datetime | None) -> float | None:
    if isinstance(when, datetime):
        return when.timestamp()
    return None if when is None else float(when)


def _image_size(data: bytes) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(data)) as img:
            return int(img.width), int(img.height)
    except (OSError, ValueError, Image.DecompressionBombError):
        return 0, 0


def _filters(
    endpoint: str | None,
    prompt: str | None,
    status: str | None,
    since: float | datetime | None,
    until: float | datetime | None,
) -> tuple[str, list[Any]]:
    """The WHERE clause and arguments of the run filters."""
    where: list[str] = []
    args: list[Any] = []
    for clause, value in (
        ("endpoint = ?", endpoint),
        ("pw_icontains(prompt, ?)", prompt),
        ("status = ?", status),
        ("created_at >= ?", _epoch(since)),
        ("created_at < ?", _epoch(until)),
    ):
        if value is not None:
            where.append(clause)
            args.append(value)
    return ("WHERE " + " AND ".join(where)) if where else "", args
