"""A run store index at schema v4 (before criteria), with a few judgements, for migration tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from phota_widgets.store import RunStore
from phota_widgets.store.judging import AlreadyJudgedError
from phota_widgets.store.model_judging import ModelJudgementRecord

SCHEMA_V4 = Path(__file__).with_name("data") / "store_v4_schema.sql"
JUDGEMENTS = [  # judgement_id, output_a, output_b, winner, shown_left, judge, created_at, sweep_id
    (1, "r1:0", "r2:0", "a", "b", "ana", 10.0, "s1"),
    (2, "r2:0", "r3:0", "tie", None, "model:fake", 11.0, "s1"),
]
MODEL_ROW = ("model:fake", "r2:0 r3:0", 2, "s1", "left", "left", 0, 200, 20, 0.001, 11.0)


def write_v4_index(url: str) -> None:
    """Create the v4 tables at ``url`` (SQLite or PostgreSQL) from the v4 DDL, with two
    judgements and one model judgement's details, and mark the index v4.

    On PostgreSQL the judgement id is ``SERIAL`` (what SQLAlchemy made there), its sequence
    moved past the ids written here, as if they had been drawn from it."""
    statements = [
        s.strip()
        for s in "\n".join(
            line for line in SCHEMA_V4.read_text().splitlines() if not line.startswith("--")
        ).split(";")
        if s.strip()
    ]
    engine = create_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            serial = "judgement_id SERIAL NOT NULL"
            statements = [s.replace("judgement_id INTEGER NOT NULL", serial) for s in statements]
        for statement in statements:
            conn.execute(text(statement))
        conn.execute(
            text("INSERT INTO judgements VALUES (:i, :a, :b, :w, :s, :j, :t, :k)"),
            [dict(zip("iabwsjtk", row, strict=True)) for row in JUDGEMENTS],
        )
        conn.execute(
            text(
                "INSERT INTO model_judgements VALUES (:j, :p, :i, :k, :a, :b, :c, :d, :e, :f, :g)"
            ),
            dict(zip("jpikabcdefg", MODEL_ROW, strict=True)),
        )
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA user_version = 4")
        else:
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('judgements', 'judgement_id'), :n)"),
                {"n": len(JUDGEMENTS)},
            )
            conn.execute(text("CREATE TABLE phota_schema (version INTEGER NOT NULL)"))
            conn.execute(text("INSERT INTO phota_schema VALUES (4)"))
    engine.dispose()


IDS = ["r1:0", "r2:0", "r3:0"]


def check_migrated(store: RunStore) -> None:
    """The v4 rows are overall ones now; the new keys take a criterion's rows beside them
    (a model judgement and one of ana's, which the store refuses a second time)."""
    kept = store.judgements(IDS)
    assert [(j.judgement_id, j.output_a, j.winner, j.judge, j.criterion) for j in kept] == [
        (row[0], row[1], row[3], row[5], None) for row in JUDGEMENTS
    ]
    [model] = store.model_judging.of_judge("model:fake").values()
    assert (model.pair, model.answer_ab, model.tokens_in, model.criterion) == (
        "r2:0 r3:0", "left", 200, None,
    )  # fmt: skip
    store.model_judging.add(
        ModelJudgementRecord(
            "model:fake", "r2:0 r3:0", None, "s1", "right", "right", True, 1, 1, None, 2.0,
            "realism",
        )
    )  # fmt: skip
    assert len(store.model_judging.of_judge("model:fake", "realism")) == 1
    assert len(store.model_judging.of_judge("model:fake")) == 1
    store.add_judgement("r1:0", "r2:0", "a", judge="ana", criterion="realism", once=True)
    with pytest.raises(AlreadyJudgedError):
        store.add_judgement("r2:0", "r1:0", "b", judge="ana", criterion="realism", once=True)
