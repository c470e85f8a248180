"""Judgements per criterion in the run store (schema v5), and a v4 store migrated with its rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from store_v4 import IDS, JUDGEMENTS, check_migrated, write_v4_index

from phota_widgets.store import SCHEMA_VERSION, RunStore
from phota_widgets.store.errors import StoreVersionError
from phota_widgets.store.judging import AlreadyJudgedError
from phota_widgets.store.model_judging import ModelJudgementRecord


def test_judgements_per_criterion_apart_from_overall_ones(tmp_path: Path) -> None:
    with RunStore(tmp_path) as store:
        overall = store.add_judgement("r1:0", "r2:0", "a", judge="ana", once=True)
        real = store.add_judgement("r1:0", "r2:0", "b", judge="ana", criterion="realism", once=True)
        store.add_judgement("r2:0", "r1:0", "tie", judge="ana", criterion="likeness", once=True)
        with pytest.raises(AlreadyJudgedError, match="by 'realism'"):  # either way round
            store.add_judgement("r2:0", "r1:0", "a", judge="ana", criterion="realism", once=True)
        with pytest.raises(AlreadyJudgedError):
            store.add_judgement("r2:0", "r1:0", "a", judge="ana", once=True)
        store.add_judgement("r1:0", "r2:0", "a", judge="bo", criterion="realism", once=True)
        with pytest.raises(ValueError, match="criterion is empty"):
            store.add_judgement("r1:0", "r3:0", "a", judge="ana", criterion=" ")
    with RunStore(tmp_path) as store:
        assert store.judgements(IDS) == [overall]
        assert overall.criterion is None and real.criterion == "realism"
        by_realism = store.judgements(IDS, criterion="realism")
        assert [(j.judge, j.winner) for j in by_realism] == [("ana", "b"), ("bo", "a")]
        assert store.judgements(IDS, criterion="realism", judge="bo")[0].criterion == "realism"
        every = store.judgements(IDS, every_criterion=True)
        assert [j.criterion for j in every] == [None, "realism", "likeness", "realism"]
        assert store.judgements(IDS, criterion="nothing") == []


def test_one_pairs_criteria_are_recorded_all_or_nothing(tmp_path: Path) -> None:
    with RunStore(tmp_path) as store:
        store.add_judgement("r1:0", "r2:0", "a", judge="ana", criterion="realism")
        with pytest.raises(AlreadyJudgedError, match="by 'realism'") as refused:
            store.add_judgements(
                "r2:0", "r1:0", {"likeness": "b", "realism": "tie"}, judge="ana", once=True
            )
        assert refused.value.criteria == ["realism"]
        assert len(store.judgements(IDS, every_criterion=True)) == 1  # likeness not written
        with pytest.raises(ValueError, match="winner must be one of"):
            store.add_judgements("r1:0", "r2:0", {"likeness": "a", "light": "x"}, judge="ana")
        assert len(store.judgements(IDS, every_criterion=True)) == 1
        made = store.add_judgements(
            "r1:0", "r2:0", {"likeness": "b", None: "a"}, judge="ana", shown_left="a", once=True
        )
        assert [(j.criterion, j.winner, j.shown_left) for j in made] == [
            ("likeness", "b", "a"),
            (None, "a", "a"),
        ]
        assert len({j.created_at for j in made}) == 1
        with pytest.raises(AlreadyJudgedError) as overall:
            store.add_judgements("r1:0", "r2:0", {None: "b", "light": "a"}, judge="ana", once=True)
        assert overall.value.criteria == [None]
        assert store.add_judgements("r1:0", "r2:0", {"light": "a"}, judge="ben", once=True)
        [spaced] = store.add_judgements("r1:0", "r3:0", {" prompt   adherence ": "a"}, judge="ana")
        assert spaced.criterion == "prompt adherence"
        assert store.judgements(IDS, criterion="  prompt adherence") != []


def test_model_judgement_details_are_kept_per_criterion(tmp_path: Path) -> None:
    def details(criterion: str | None, answer: str) -> ModelJudgementRecord:
        return ModelJudgementRecord(
            "model:m", "r1:0 r2:0", None, "s", answer, answer, True, 10, 2, None, 1.0, criterion
        )

    with RunStore(tmp_path) as store:
        store.model_judging.add(details(None, "left"))
        store.model_judging.add(details("realism", "right"))
        store.model_judging.add(details("realism", "tie"))  # asked again: replaced
        assert store.model_judging.of_judge("model:m")["r1:0 r2:0"].answer_ab == "left"
        [again] = store.model_judging.of_judge("model:m", "realism").values()
        assert (again.answer_ab, again.criterion) == ("tie", "realism")
        assert store.model_judging.of_judge("model:m", "likeness") == {}


def test_a_v4_store_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    index = tmp_path / "runs.sqlite3"
    write_v4_index(f"sqlite:///{index}")
    with RunStore(tmp_path) as store:
        check_migrated(store)
        new_id = store.add_judgement("r1:0", "r3:0", "a", judge="ana").judgement_id
        assert new_id > max(row[0] for row in JUDGEMENTS)
    db = sqlite3.connect(index)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
    key = [r[1] for r in db.execute("PRAGMA table_info(model_judgements)") if r[5]]
    assert key == ["judge", "pair", "criterion"]
    assert db.execute("SELECT name FROM sqlite_master WHERE name LIKE '%_v4'").fetchall() == []
    db.close()
    with RunStore(tmp_path) as store:  # opened again: nothing to migrate, nothing lost
        assert len(store.judgements(IDS, every_criterion=True)) == 4


def test_a_v4_store_opened_read_only_is_refused_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_v4_index(f"sqlite:///{tmp_path / 'runs.sqlite3'}")
    monkeypatch.setattr("phota_widgets.store.runstore.read_only_folder", lambda folder: True)
    with pytest.raises(StoreVersionError, match="open it once writable to upgrade it to v5"):
        RunStore(tmp_path)
    monkeypatch.undo()
    with RunStore(tmp_path) as store:  # writable: upgraded
        check_migrated(store)
        kept = len(store.judgements(IDS, every_criterion=True))
    monkeypatch.setattr("phota_widgets.store.runstore.read_only_folder", lambda folder: True)
    with RunStore(tmp_path) as store:  # read-only, now v5: read as it is
        assert store.read_only
        assert len(store.judgements(IDS, every_criterion=True)) == kept > 0
