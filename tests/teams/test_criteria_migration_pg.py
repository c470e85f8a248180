"""A v4 index on PostgreSQL is migrated to v5 (criteria) with its rows, like SQLite's."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from store_v4 import IDS, check_migrated, write_v4_index

from phota_widgets.store import SCHEMA_VERSION, RunStore


def test_a_v4_postgres_index_is_migrated_and_keeps_its_rows(tmp_path: Path, pg_url: str) -> None:
    write_v4_index(pg_url)
    with RunStore(tmp_path / "a", index_url=pg_url) as store:
        check_migrated(store)
        assert len(store.judgements(IDS, every_criterion=True)) == 3
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
        assert len(store.judgements(IDS, every_criterion=True)) == 3
