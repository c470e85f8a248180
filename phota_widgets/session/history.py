"""``History``: the runs of a Session's store, to filter, re-open, re-run and tabulate.

Also how one recorded run is re-opened (:func:`recorded_result`) and its parameters read back
with their input images (:func:`recorded_params`), for ``Session.result`` and re-runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from phota_widgets.api.client import IMAGE_FIELDS
from phota_widgets.api.errors import PhotaError
from phota_widgets.api.results import OutputImage, Result
from phota_widgets.api.thumbnails import data_uri
from phota_widgets.store import RunRecord, RunStatus, RunStore

if TYPE_CHECKING:
    import pandas

    from phota_widgets.session import Session


class History:
    """A filtered view of recorded runs, newest first (``session.history``)."""

    def __init__(self, session: Session, filters: dict[str, Any] | None = None) -> None:
        self._session = session
        self._filters: dict[str, Any] = dict(filters or {})

    @property
    def runs(self) -> list[RunRecord]:
        """The matching runs, newest first."""
        return self._session.store.runs(**self._filters)

    def filter(
        self,
        *,
        endpoint: str | None = None,
        prompt: str | None = None,
        status: RunStatus | None = None,
        since: float | datetime | None = None,
        until: float | datetime | None = None,
        limit: int | None = None,
    ) -> History:
        """A narrower view (prompt matches a case-insensitive substring)."""
        given = {
            "endpoint": endpoint,
            "prompt": prompt,
            "status": status,
            "since": since,
            "until": until,
            "limit": limit,
        }
        narrowed = {k: v for k, v in given.items() if v is not None}
        return History(self._session, {**self._filters, **narrowed})

    def result(self, run: str | RunRecord) -> Result:
        """Re-open a run as a Result (images from disk)."""
        return self._session.result(run if isinstance(run, str) else run.run_id)

    def rerun(self, run: str | RunRecord) -> Result:
        """Run again with the same parameters (and the same input images)."""
        record = self._session.store.get(run if isinstance(run, str) else run.run_id)
        return self._session.run(record.endpoint, **self._session.rerun_params(record.run_id))

    def to_dataframe(self) -> pandas.DataFrame:
        """One row per run (needs pandas), read in one SQL query."""
        limit = self._filters.get("limit")
        if limit is not None:
            return self._session.store.to_dataframe(self.runs)
        return self._session.store.to_dataframe(**self._filters)

    def __iter__(self) -> Iterator[RunRecord]:
        return iter(self.runs)

    def __len__(self) -> int:
        filters = {k: v for k, v in self._filters.items() if k != "limit"}
        counted = self._session.store.count(**filters)
        limit = self._filters.get("limit")
        return counted if limit is None else min(counted, max(0, limit))

    def __getitem__(self, key: int | str) -> RunRecord:
        if isinstance(key, str):
            return self._session.store.get(key)
        if key < 0:
            key += len(self)
        limit = self._filters.get("limit")
        if key < 0 or (limit is not None and key >= limit):
            raise IndexError("history index out of range")
        found = self._session.store.runs(**{**self._filters, "limit": 1, "offset": key})
        if not found:
            raise IndexError("history index out of range")
        return found[0]

    def _page(self, size: int) -> list[RunRecord]:
        """The newest ``size`` matching runs, paged in SQL."""
        limit = self._filters.get("limit")
        return self._session.store.runs(
            **{**self._filters, "limit": size if limit is None else min(size, limit)}
        )

    def _repr_html_(self) -> str:
        rows = []
        for run in self._page(50):
            thumbs = "".join(
                f'<img src="{data_uri(self._session.store.thumbnail(o, max_px=64))}" '
                'style="height:48px;margin-right:2px"/>'
                for o in run.outputs[:4]
            )
            when = datetime.fromtimestamp(run.created_at).strftime("%Y-%m-%d %H:%M:%S")
            cost = f"${run.cost:.2f}" if run.cost is not None else ""
            rows.append(
                f"<tr><td>{escape(run.run_id)}</td><td>{when}</td><td>{escape(run.endpoint)}</td>"
                f"<td>{escape((run.prompt or '')[:60])}</td><td>{escape(run.status)}</td>"
                f"<td>{cost}</td><td>{thumbs}</td></tr>"
            )
        head = "<tr><th>run</th><th>when</th><th>endpoint</th><th>prompt</th><th>status</th>"
        head += "<th>cost</th><th>outputs</th></tr>"
        return f'<table class="phota-history">{head}{"".join(rows)}</table>'

    def __repr__(self) -> str:
        return f"History({len(self)} runs)"


def recorded_result(store: RunStore, run_id: str) -> Result:
    """A recorded run as a Result (images read from disk)."""
    record = store.get(run_id)
    images = [OutputImage(o.index, data=o.read_bytes()) for o in record.outputs]
    return Result(
        endpoint=record.endpoint,
        images=images,
        known_subjects=dict(record.known_subjects),
        request_id=record.request_id,
        request=dict(record.params),
        elapsed=record.elapsed or 0.0,
        cost_estimate=record.cost,
        job_id=record.job_id,
        run_id=record.run_id,
        backend=record.backend,
    )


def input_bytes(store: RunStore, reference: str) -> bytes | None:
    """The bytes of a recorded input (``sha256:<hex>``), if the store has them."""
    path = store.input_path(reference)
    return path.read_bytes() if path else None


def recorded_params(store: RunStore, run_id: str) -> dict[str, Any]:
    """A recorded run's parameters with its input images read back from the store."""
    record = store.get(run_id)
    params = dict(record.params)
    for name in IMAGE_FIELDS:
        if name in params:
            params[name] = _restore(store, params[name])
    return params


def _restore(store: RunStore, value: Any) -> Any:
    """Turn recorded ``sha256:`` references back into bytes (URLs stay as they are)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_restore(store, v) for v in value]
    if isinstance(value, str) and value.startswith("sha256:"):
        data = input_bytes(store, value)
        if data is None:
            raise PhotaError(f"input {value} is no longer in the run store")
        return data
    return value
