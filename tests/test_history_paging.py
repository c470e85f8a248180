"""History counts and pages in SQL: it never loads every run to count or to show 50 of them."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import event

from phota_widgets.session.history import History
from phota_widgets.store import RunStore


@pytest.fixture
def history(tmp_path: Path) -> Any:
    store = RunStore(tmp_path)
    for i in range(120):
        run_id = store.start_run("generate" if i % 3 else "edit", {"prompt": f"p{i}", "n": i})
        if i % 10 == 0:
            store.finish_run(run_id, status="succeeded", cost=0.09)
    yield History(SimpleNamespace(store=store))  # type: ignore[arg-type]
    store.close()


def statements(store: RunStore) -> list[str]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        if args[2] != "BEGIN":
            seen.append(args[2])

    event.listen(store.engine, "before_cursor_execute", record)
    return seen


def test_len_is_one_count_query(history: History) -> None:
    seen = statements(history._session.store)
    assert len(history) == 120
    assert len(seen) == 1 and "count(*)" in seen[0].lower()
    assert len(history.filter(endpoint="edit")) == 40
    assert len(history.filter(endpoint="edit", limit=7)) == 7
    assert len(history.filter(prompt="P11")) == 11  # p11, p110..p119
    assert len(history.filter(status="succeeded")) == 12


def test_repr_and_indexing_read_one_page(history: History) -> None:
    store = history._session.store
    seen = statements(store)
    html = history._repr_html_()
    assert html.count("<tr>") == 1 + 50
    run_selects = [s for s in seen if "FROM runs" in s and "LIMIT" in s]
    assert run_selects, seen
    newest = store.runs(limit=3)
    assert history[0] == newest[0] and history[2] == newest[2]
    assert history[-1].params["n"] == 0
    assert history.filter(limit=5)[4] == store.runs(limit=5)[4]
    with pytest.raises(IndexError):
        history.filter(limit=5)[5]
    with pytest.raises(IndexError):
        history[120]
    assert history[newest[1].run_id] == newest[1]


def test_to_dataframe_is_one_query_and_matches_the_records(history: History) -> None:
    store = history._session.store
    seen = statements(store)
    frame = history.filter(endpoint="edit").to_dataframe()
    assert len(seen) == 0  # one query on the driver's own cursor (not through the listener)
    records = store.runs(endpoint="edit")
    expected = store.to_dataframe(records)
    assert list(frame.columns) == list(expected.columns)
    assert frame["run_id"].tolist() == [r.run_id for r in records]
    assert frame["param_n"].tolist() == expected["param_n"].tolist()
    assert (frame["n_outputs"] == 0).all() and frame["created_at"].dt.tz is not None
    limited = history.filter(limit=4).to_dataframe()
    assert limited["run_id"].tolist() == [r.run_id for r in store.runs(limit=4)]
