"""The run store's runs: recorded, submitted, ended, owned, and read back (filtered, paged,
counted, tabulated). Each write is one committed transaction; params are scrubbed of secrets."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from phota_widgets.redact import redact, scrub_params
from phota_widgets.store import frames
from phota_widgets.store.base import StoreBase, recount
from phota_widgets.store.failures import ride_out
from phota_widgets.store.outputs import add_output_row, put_output
from phota_widgets.store.queries import (
    RUN_COLUMNS,
    filters_of,
    newest_first,
    oldest_first,
    page,
    run_filters,
    with_conditions,
)
from phota_widgets.store.records import RunRecord, RunStatus, check_status
from phota_widgets.store.schema import run_owners, runs

if TYPE_CHECKING:
    import pandas

NewOutput = tuple[int, bytes, str]
"""An output to keep with a finished run: its index, its bytes and its format."""


@ride_out
class Runs(StoreBase):
    """Runs in the index: their rows, owners and status (part of ``RunStore``)."""

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

    def record_submission(self, run_id: str, client_request_id: str) -> None:
        """Mark a run "submitted" with the idempotency key of a submit about to be sent.

        Should the answer be lost (or the kernel die), the run can be resubmitted with the same
        key: the server returns the same job, so nothing is paid twice.
        """
        self._update(run_id, status="submitted", client_request_id=client_request_id)

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
        requests: int | None = None,
        outputs: Sequence[NewOutput] = (),
    ) -> None:
        """Set a run's final status; fields left as None keep their value (except error).

        Args:
            outputs: images to keep with it, as ``(index, bytes, format)``: their files are
                written first, their rows in the same transaction as the status.
        """
        check_status(status)
        values: dict[str, Any] = {"status": status, "error": redact(error)}
        given = (("request_id", request_id), ("elapsed", elapsed), ("cost", cost))
        for name, value in (*given, ("requests", requests)):
            if value is not None:
                values[name] = value
        if known_subjects is not None:
            values["known_subjects"] = json.dumps(dict(known_subjects))
        if not outputs:
            self._update(run_id, **values)
            return
        rows = [(i, put_output(self.files, run_id, i, data, fmt)) for i, data, fmt in outputs]
        with self._writer.begin() as conn:
            for index, row in rows:
                add_output_row(conn, run_id, index, row)
            recount(conn, run_id)
            conn.execute(update(runs).where(runs.c.run_id == run_id).values(**values))

    def set_note(self, run_id: str, note: str | None) -> None:
        """Attach a free-text note to a run (None clears it)."""
        self._update(run_id, note=redact(note))

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

    def total_cost(self, status: RunStatus = "succeeded") -> float:
        """Sum of the cost estimates of runs with this status."""
        stmt = select(func.coalesce(func.sum(runs.c.cost), 0.0)).where(runs.c.status == status)
        with self.engine.connect() as conn:
            return float(conn.execute(stmt).scalar_one())

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
