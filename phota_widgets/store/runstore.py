"""RunStore: the durable record of every Phota run, so nothing paid for is ever lost.

By default everything lives in one local folder ``root``::

    runs.sqlite3                 index of runs and outputs (WAL mode, schema in PRAGMA user_version)
    images/<sha[:2]>/<sha>.<ext> output images, named by the sha256 of their bytes
    inputs/<sha[:2]>/<sha><sfx>  input images, content-addressed the same way
    thumbs/<sha>_<max_px>.jpg    cached JPEG thumbnails

A team points the index at PostgreSQL (``index_url``) and the files at object storage or a shared
folder (``files_url``); ``root`` then holds only the local caches (thumbnails, fetched images).
Every local file is written atomically and every database write commits at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image
from sqlalchemy import Connection, delete, exists, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from phota_widgets.api.thumbnails import THUMBNAIL_MAX_PX, thumbnail_jpeg
from phota_widgets.files import atomic_write
from phota_widgets.redact import redact, scrub_params
from phota_widgets.store import frames
from phota_widgets.store.assignments import Assignments
from phota_widgets.store.config import default_judge
from phota_widgets.store.engine import (
    WRITE,
    display_url,
    open_engine,
    read_only_folder,
    sqlite_url,
)
from phota_widgets.store.failures import ride_out
from phota_widgets.store.files import FileStore
from phota_widgets.store.judging import Judging
from phota_widgets.store.leases import Leases
from phota_widgets.store.model_judging import ModelJudging
from phota_widgets.store.queries import (
    RUN_COLUMNS,
    filters_of,
    load_runs,
    newest_first,
    oldest_first,
    output_record,
    page,
    run_filters,
    with_conditions,
)
from phota_widgets.store.records import (
    OUTPUT_FORMATS,
    OutputRecord,
    RunRecord,
    RunStatus,
    check_sha256,
    check_status,
    image_name,
)
from phota_widgets.store.schema import (
    LEGACY_JUDGE,
    check_version,
    claims,
    judgements,
    migrate,
    outputs,
    picks,
    ratings,
    run_owners,
    runs,
    sweep_cells,
    sweeps,
)
from phota_widgets.store.scores import Scores

if TYPE_CHECKING:
    import pandas

_FINAL = ("succeeded", "failed", "cancelled")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_EXT_RE = re.compile(r"^[a-z0-9]{1,8}$")


@ride_out
class RunStore:
    """An SQL index of runs plus content-addressed image files; safe from several threads.

    Args:
        root: local folder: the whole store by default, only local caches otherwise.
        index_url: SQLAlchemy URL of the index (default ``sqlite:///<root>/runs.sqlite3``;
            a team: ``postgresql+psycopg://user:pass@host/db``).
        files_url: where image files live (default ``root``; a team: ``s3://bucket/prefix``
            or any fsspec URL, or a shared folder).
        storage_options: fsspec options for ``files_url`` (endpoint, credentials, …).
    """

    def __init__(
        self,
        root: str | os.PathLike[str] = "phota-runs",
        *,
        index_url: str | None = None,
        files_url: str | os.PathLike[str] | None = None,
        storage_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.root = Path(root).expanduser().resolve()
        self._elsewhere = index_url is not None or files_url is not None
        self.read_only = index_url is None and files_url is None and read_only_folder(self.root)
        """A store on a read-only mount: browsed, never written (writes: StoreReadOnlyError)."""
        if not self.read_only:
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / "thumbs").mkdir(exist_ok=True)
        self.files = FileStore(
            self.root if files_url is None else files_url,
            cache_dir=self.root / "cache",
            storage_options=storage_options,
        )
        local = sqlite_url(self.root / "runs.sqlite3", read_only=self.read_only)
        self.engine = open_engine(index_url or local)
        self.dialect = self.engine.dialect.name
        self._writer = self.engine.execution_options(**WRITE)
        try:
            if self.read_only:
                with self.engine.connect() as conn:
                    check_version(conn, str(self.root))
            else:
                with self._writer.begin() as conn:
                    migrate(conn, str(self.root) if index_url is None else self.index_display)
        except BaseException:
            self.engine.dispose()
            raise
        self.leases = Leases(self._writer, self.engine)
        self.judging = Judging(self._writer, self.engine)
        self.model_judging = ModelJudging(self._writer, self.engine)
        self.assignments = Assignments(self._writer, self.engine)
        self.add_judgement = self.judging.add_judgement
        self.judgements = self.judging.judgements
        self.set_rating = self.judging.set_rating
        self.ratings = self.judging.ratings
        self.scores = Scores(self._writer, self.engine)
        self._closed = False

    @property
    def index_display(self) -> str:
        """The index URL with any password hidden."""
        return display_url(self.engine)

    @property
    def shared(self) -> bool:
        """Whether the index or the files live elsewhere than this store's own folder."""
        return self._elsewhere or self.dialect != "sqlite" or not self.files.is_local

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
            endpoint: the endpoint called.
            params: its parameters.
            backend: the server it goes to.
            status: its first status.
            client_request_id: the idempotency key it will be submitted with (kept from the
                start, so a run waiting for its turn is never lost).
            owner: the token of the process running it.

        Raises:
            ValueError: if params hold bytes or values that are not JSON-able.
        """
        check_status(status)
        clean = scrub_params(params)
        prompt = clean.get("prompt")
        run_id = uuid.uuid4().hex[:12]
        with self._writer.begin() as conn:
            conn.execute(
                insert(runs).values(
                    run_id=run_id,
                    endpoint=endpoint,
                    params=json.dumps(clean, ensure_ascii=False),
                    prompt=prompt if isinstance(prompt, str) else None,
                    status=status,
                    created_at=time.time(),
                    backend=backend,
                    client_request_id=client_request_id,
                )
            )
            if owner is not None:
                conn.execute(insert(run_owners).values(run_id=run_id, owner=owner))
        return run_id

    def unfinished_runs(self) -> list[tuple[RunRecord, str | None]]:
        """Runs still ``running`` or ``submitted``, oldest first, each with its owner's token."""
        unfinished = runs.c.status.in_(("running", "submitted"))
        records = self._load(oldest_first(select(*RUN_COLUMNS).where(unfinished), self.dialect))
        stmt = (
            select(run_owners.c.run_id, run_owners.c.owner)
            .join(runs, runs.c.run_id == run_owners.c.run_id)
            .where(unfinished)
        )
        with self.engine.connect() as conn:
            owners = {str(r): str(o) for r, o in conn.execute(stmt).all()}
        return [(record, owners.get(record.run_id)) for record in records]

    def run_owner(self, run_id: str) -> str | None:
        """The token of the process a run belongs to (None for runs recorded without one)."""
        stmt = select(run_owners.c.owner).where(run_owners.c.run_id == run_id)
        with self.engine.connect() as conn:
            found = conn.execute(stmt).scalar()
        return None if found is None else str(found)

    def claim_run(self, run_id: str, owner: str, *, previous: str | None) -> bool:
        """Take over a run from ``previous`` (a dead owner); False if someone else was quicker."""
        with self._writer.begin() as conn:
            if previous is None:
                dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
                added = conn.execute(
                    dialect.insert(run_owners)
                    .values(run_id=run_id, owner=owner)
                    .on_conflict_do_nothing()
                    .returning(run_owners.c.run_id)
                )
                return added.first() is not None  # INSERT rowcounts are not portable
            taken = conn.execute(
                update(run_owners)
                .where(run_owners.c.run_id == run_id, run_owners.c.owner == previous)
                .values(owner=owner)
            )
            return taken.rowcount == 1

    def record_job(self, run_id: str, job_id: str, client_request_id: str | None) -> None:
        """Remember an async job's id (before waiting on it) and mark the run "submitted"."""
        self._update(run_id, status="submitted", job_id=job_id, client_request_id=client_request_id)

    def add_output(self, run_id: str, index: int, data: bytes, output_format: str) -> OutputRecord:
        """Write an output image under its sha256 (once) and record it.

        The same bytes always map to the same file, written once. Width and height are read
        from the image header; an image Pillow cannot read is still kept, with a 0 x 0 size.
        """
        if index < 0:
            raise ValueError(f"output index must be >= 0, got {index}")
        if not data:
            raise ValueError(f"output {index} of run {run_id!r} is empty")
        ext = output_format.lower().lstrip(".")
        ext = "jpg" if ext == "jpeg" else ext
        if ext not in OUTPUT_FORMATS:
            raise ValueError(f"bad output format {output_format!r}")
        self._require(run_id)
        sha = hashlib.sha256(data).hexdigest()
        self.files.put(image_name(sha, ext), data)
        width, height = _image_size(data)
        values = {"sha256": sha, "output_format": ext, "width": width, "height": height}
        with self._writer.begin() as conn:
            changed = conn.execute(
                update(outputs)
                .where(outputs.c.run_id == run_id, outputs.c.idx == index)
                .values(**values)
            )
            if changed.rowcount == 0:
                conn.execute(insert(outputs).values(run_id=run_id, idx=index, **values))
            _recount(conn, run_id)
            picked = conn.execute(
                select(outputs.c.picked).where(outputs.c.run_id == run_id, outputs.c.idx == index)
            ).scalar_one()
        return OutputRecord(run_id, index, sha, ext, width, height, bool(picked), self.files)

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
        check_status(status)
        values: dict[str, Any] = {"status": status, "error": redact(error)}
        for name, value in (("request_id", request_id), ("elapsed", elapsed), ("cost", cost)):
            if value is not None:
                values[name] = value
        if known_subjects is not None:
            values["known_subjects"] = json.dumps(dict(known_subjects))
        self._update(run_id, **values)

    def set_pick(
        self, run_id: str, index: int, picked: bool = True, *, judge: str | None = None
    ) -> None:
        """Mark (or unmark) one output of a run as picked by ``judge`` (default: you).

        Picks of several people are kept apart; ``OutputRecord.picked`` says whether anyone
        picked it. Unpicking also clears a pick made before picks were kept per judge.
        """
        who = judge or default_judge()
        where = (outputs.c.run_id == run_id, outputs.c.idx == index)
        mine = (picks.c.run_id == run_id, picks.c.idx == index)
        with self._writer.begin() as conn:
            if conn.execute(select(outputs.c.idx).where(*where)).first() is None:
                self._require(run_id, conn)
                raise KeyError(f"run {run_id!r} has no output {index}")
            judges = [who] if picked else [who, LEGACY_JUDGE]
            conn.execute(delete(picks).where(*mine, picks.c.judge.in_(judges)))
            if picked:
                conn.execute(
                    insert(picks).values(run_id=run_id, idx=index, judge=who, picked_at=time.time())
                )
            anyone = conn.execute(select(func.count()).select_from(picks).where(*mine))
            conn.execute(update(outputs).where(*where).values(picked=int(anyone.scalar_one() > 0)))
            _recount(conn, run_id)

    def set_note(self, run_id: str, note: str | None) -> None:
        """Attach a free-text note to a run (None clears it)."""
        self._update(run_id, note=redact(note))

    def store_input(self, data: bytes, suffix: str = "") -> str:
        """Save an input image under inputs/ by content and return its sha256.

        Callers put ``"sha256:<hex>"`` in params instead of the bytes.
        """
        if suffix and not suffix.startswith("."):
            suffix = "." + suffix
        if suffix and not _EXT_RE.match(suffix[1:].lower()):
            raise ValueError(f"bad file suffix {suffix!r}")
        sha = hashlib.sha256(data).hexdigest()
        if self.files.find(f"inputs/{sha[:2]}", sha) is None:
            self.files.put(f"inputs/{sha[:2]}/{sha}{suffix.lower()}", data)
        return sha

    # -- reading -------------------------------------------------------------------------------

    def input_path(self, sha256: str) -> Path | None:
        """Local path of a stored input image (``"sha256:"`` prefix allowed), or None."""
        sha = sha256.removeprefix("sha256:").lower()
        if not _SHA_RE.match(sha):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        name = self.files.find(f"inputs/{sha[:2]}", sha)
        return None if name is None else self.files.local_path(name)

    def get(self, run_id: str) -> RunRecord:
        """Return one run.

        Raises:
            KeyError: if no run has this id.
        """
        found = self._load(select(*RUN_COLUMNS).where(runs.c.run_id == run_id))
        if not found:
            raise KeyError(f"unknown run id {run_id!r}")
        return found[0]

    def runs_by_id(self, run_ids: Sequence[str]) -> list[RunRecord]:
        """The runs with these ids (unknown ids are left out), in no particular order."""
        found: list[RunRecord] = []
        for start in range(0, len(run_ids), 500):
            chunk = list(run_ids[start : start + 500])
            found += self._load(select(*RUN_COLUMNS).where(runs.c.run_id.in_(chunk)))
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
        run_ids: Sequence[str] | None = None,
        backend: str | None = None,
    ) -> list[RunRecord]:
        """Runs matching every given filter, newest first.

        Args:
            endpoint: exact endpoint name.
            backend: the API root runs went to (``local``: any embedded server).
            prompt: case-insensitive substring of the prompt.
            status: exact status.
            since: keep runs created at or after this time (epoch seconds or datetime).
            until: keep runs created strictly before this time.
            limit: at most this many runs.
            offset: skip this many (newest) runs first, for paging.
            run_ids: only these runs.
        """
        conditions = run_filters(
            self.dialect, endpoint=endpoint, prompt=prompt, status=status,
            since=since, until=until, run_ids=run_ids, backend=backend,
        )  # fmt: skip
        stmt = newest_first(with_conditions(select(*RUN_COLUMNS), conditions), self.dialect)
        return self._load(page(stmt, limit, offset))

    def count(
        self,
        *,
        endpoint: str | None = None,
        prompt: str | None = None,
        status: RunStatus | None = None,
        since: float | datetime | None = None,
        until: float | datetime | None = None,
        backend: str | None = None,
    ) -> int:
        """How many runs match the filters (counted in SQL, nothing loaded)."""
        conditions = run_filters(
            self.dialect, endpoint=endpoint, prompt=prompt, status=status, since=since,
            until=until, backend=backend,
        )  # fmt: skip
        stmt = with_conditions(select(func.count()).select_from(runs), conditions)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def fingerprint(self) -> tuple[Any, ...]:
        """A few counts that change whenever anyone adds or finishes a run, an output, a cell,
        a claim, a pick, a judgement or a rating (one cheap query; for watching the store)."""
        parts = [
            select(func.count()).select_from(runs),
            select(func.count()).select_from(runs).where(runs.c.status.in_(_FINAL)),
            select(func.coalesce(func.max(runs.c.created_at), 0.0)),
            select(func.count()).select_from(outputs),
            select(func.coalesce(func.sum(outputs.c.picked), 0)),
            select(func.count()).select_from(sweep_cells).where(sweep_cells.c.run_id.is_not(None)),
            select(func.count()).select_from(sweeps),
            select(func.count()).select_from(claims).where(claims.c.state == "done"),
            select(func.count()).select_from(judgements),
            select(func.coalesce(func.max(ratings.c.created_at), 0.0)),
        ]
        stmt = select(*(part.scalar_subquery() for part in parts))
        with self.engine.connect() as conn:
            return tuple(conn.execute(stmt).one())

    def total_cost(self, status: RunStatus = "succeeded") -> float:
        """Sum of the cost estimates of runs with this status."""
        stmt = select(func.coalesce(func.sum(runs.c.cost), 0.0)).where(runs.c.status == status)
        with self.engine.connect() as conn:
            return float(conn.execute(stmt).scalar_one())

    def record_submission(self, run_id: str, client_request_id: str) -> None:
        """Mark a run "submitted" with the idempotency key of a submit about to be sent.

        Should the answer be lost (or the kernel die), the run can be resubmitted with the same
        key: the server returns the same job, so nothing is paid twice.
        """
        self._update(run_id, status="submitted", client_request_id=client_request_id)

    def pending_jobs(self, backend: str | None = None) -> list[RunRecord]:
        """Submitted runs (with a job id or an idempotency key), oldest first: work to collect.

        Args:
            backend: only runs recorded against this backend.
        """
        stmt = select(*RUN_COLUMNS).where(
            runs.c.status == "submitted",
            runs.c.job_id.is_not(None) | runs.c.client_request_id.is_not(None),
        )
        if backend is not None:
            stmt = stmt.where(runs.c.backend == backend)
        return self._load(oldest_first(stmt, self.dialect))

    def picks(self, *, judge: str | None = None) -> list[OutputRecord]:
        """Picked outputs (by anyone, or by one ``judge``), newest run first."""
        stmt = select(
            outputs.c.run_id, outputs.c.idx, outputs.c.sha256, outputs.c.output_format,
            outputs.c.width, outputs.c.height, outputs.c.picked,
        ).join(runs, runs.c.run_id == outputs.c.run_id)  # fmt: skip
        if judge is None:
            stmt = stmt.where(outputs.c.picked != 0)
        else:
            stmt = stmt.where(
                exists().where(
                    picks.c.run_id == outputs.c.run_id,
                    picks.c.idx == outputs.c.idx,
                    picks.c.judge == judge,
                )
            )
        stmt = newest_first(stmt, self.dialect).order_by(outputs.c.idx)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [output_record(row, self.files) for row in rows]

    def judges(self) -> list[str]:
        """Everyone who has picked, judged or rated in this store, sorted."""
        with self.engine.connect() as conn:
            pickers = set(conn.execute(select(picks.c.judge).distinct()).scalars())
        return sorted((pickers - {LEGACY_JUDGE}) | set(self.judging.judges()))

    def thumbnail(self, output: OutputRecord, max_px: int = THUMBNAIL_MAX_PX) -> bytes:
        """JPEG thumbnail of an output, cached under root/thumbs/<sha>_<max_px>.jpg."""
        path = self.root / "thumbs" / f"{check_sha256(output.sha256)}_{int(max_px)}.jpg"
        with contextlib.suppress(FileNotFoundError):
            return path.read_bytes()
        data = thumbnail_jpeg(self.files.local_path(output.name).read_bytes(), max_px=max_px)
        with contextlib.suppress(OSError):  # a read-only store: shown, not cached
            atomic_write(path, data)
        return data

    def to_dataframe(
        self, runs: Sequence[RunRecord] | None = None, **filters: Any
    ) -> pandas.DataFrame:
        """One row per run, newest first; params become ``param_<name>`` columns.

        Args:
            runs: these runs (already loaded); by default every run matching ``filters``,
                read in one SQL query.
            **filters: the filters of :meth:`runs` (endpoint, prompt, status, since, until).
        """
        if runs is not None:
            return frames.records_frame(runs)
        conditions = run_filters(self.dialect, **filters_of(filters))
        with self.engine.connect() as conn:
            return frames.query_frame(conn, conditions, self.dialect)

    def execute(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one SQL statement (``?`` placeholders) in its own transaction; return its rows.

        For the layers above that keep their own tables in this index (``experiments``); the
        SQL must be portable between SQLite and PostgreSQL.
        """
        statement, names = _named(sql)
        with self._writer.begin() as conn:
            result = conn.execute(text(statement), dict(zip(names, args, strict=True)))
            return [tuple(row) for row in result.all()] if result.returns_rows else []

    def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one SQL statement for each row of arguments, all in one transaction."""
        statement, names = _named(sql)
        batch = [dict(zip(names, row, strict=True)) for row in rows]
        if batch:
            with self._writer.begin() as conn:
                conn.execute(text(statement), batch)

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database connections (idempotent)."""
        if not self._closed:
            self._closed = True
            self.engine.dispose()

    def __len__(self) -> int:
        return self.count()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if not self.shared:
            return f"RunStore({str(self.root)!r})"
        return f"RunStore(index={self.index_display!r}, files={self.files.url!r})"

    # -- internals -----------------------------------------------------------------------------

    def _require(self, run_id: str, conn: Connection | None = None) -> None:
        stmt = select(runs.c.run_id).where(runs.c.run_id == run_id)
        if conn is not None:
            row = conn.execute(stmt).first()
        else:
            with self.engine.connect() as own:
                row = own.execute(stmt).first()
        if row is None:
            raise KeyError(f"unknown run id {run_id!r}")

    def _update(self, run_id: str, **values: Any) -> None:
        with self._writer.begin() as conn:
            changed = conn.execute(update(runs).where(runs.c.run_id == run_id).values(**values))
        if changed.rowcount == 0:
            raise KeyError(f"unknown run id {run_id!r}")

    def _load(self, stmt: Any) -> list[RunRecord]:
        with self.engine.connect() as conn:
            return load_runs(conn, stmt, self.files)


def _recount(conn: Connection, run_id: str) -> None:
    """Refresh a run's output and pick counts (kept on the run for one-scan tables)."""
    mine = outputs.c.run_id == run_id
    conn.execute(
        update(runs)
        .where(runs.c.run_id == run_id)
        .values(
            n_outputs=select(func.count()).where(mine).scalar_subquery(),
            n_picked=select(func.coalesce(func.sum(outputs.c.picked), 0))
            .where(mine)
            .scalar_subquery(),
        )
    )


def _named(sql: str) -> tuple[str, list[str]]:
    """``?`` placeholders as named binds (``:p0``, ``:p1``…), which every dialect accepts."""
    names: list[str] = []

    def bind(_match: re.Match[str]) -> str:
        names.append(f"p{len(names)}")
        return f":{names[-1]}"

    return re.sub(r"\?", bind, sql), names


def _image_size(data: bytes) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(data)) as img:
            return int(img.width), int(img.height)
    except (OSError, ValueError, Image.DecompressionBombError):
        return 0, 0
