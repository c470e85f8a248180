"""A v4 index on PostgreSQL is migrated to v5 (criteria) with its rows, like SQLite's."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from store_v4 import JUDGEMENTS, write_v4_index

from phota_widgets.store import SCHEMA_VERSION, RunStore
from phota_widgets.store.judging import AlreadyJudgedError
from phota_widgets.store.model_judging import ModelJudgementRecord


def test_a_v4_postgres_index_is_migrated_and_keeps_its_rows(tmp_path: Path, pg_url: str) -> None:
    write_v4_index(pg_url)
    ids = ["r1:0", "r2:0", "r3:0"]
    with RunStore(tmp_path / "a", index_url=pg_url) as store:
        kept = store.judgements(ids)
        assert [(j.judgement_id, j.winner, j.criterion) for j in kept] == [
            (row[0], row[3], None) for row in JUDGEMENTS
        ]
        [model] = store.model_judging.of_judge("model:fake").values()
        assert (model.answer_ab, model.tokens_in, model.criterion) == ("left", 200, None)
        store.model_judging.add(
            ModelJudgementRecord(
                "model:fake", "r2:0 r3:0", None, "s1", "right", "right", True, 1, 1, None, 2.0,
                "realism",
            )
        )  # fmt: skip
        assert len(store.model_judging.of_judge("model:fake", "realism")) == 1
        store.add_judgement("r1:0", "r2:0", "a", judge="ana", criterion="realism", once=True)
        try:
            store.add_judgement("r2:0", "r1:0", "b", judge="ana", criterion="realism", once=True)
        except AlreadyJudgedError:
            pass
        else:
            raise AssertionError("a pair judged twice by one criterion")
        assert len(store.judgements(ids, every_criterion=True)) == 3
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM phota_schema")).scalar() == SCHEMA_VERSION
        key = conn.execute(
            text(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'model_judgements'::regclass "
                "AND i.indisprimary"
            )
        ).scalars()
        assert set(key) == {"judge", "pair", "criterion"}
    engine.dispose()
    with RunStore(tmp_path / "b", index_url=pg_url) as store:  # a second opener: nothing to do
        assert len(store.judgements(ids, every_criterion=True)) == 3
