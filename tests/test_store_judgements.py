"""Judgements and ratings are rows in the run store: written at once, read back after reopening."""

from __future__ import annotations

from pathlib import Path

import pytest

from phota_widgets.store import RunStore


def test_judgements_persist_across_reopening(tmp_path: Path) -> None:
    with RunStore(tmp_path) as store:
        first = store.add_judgement("r1:0", "r2:0", "a", judge="ana", shown_left="b", sweep_id="s")
        store.add_judgement("r2:0", "r3:0", "tie", judge="bo")
        store.add_judgement("r1:0", "x9:0", "b", judge="bo")  # x9 is outside the set asked for
    with RunStore(tmp_path) as store:
        found = store.judgements(["r1:0", "r2:0", "r3:0"])
    assert [(j.output_a, j.output_b, j.winner, j.shown_left, j.judge) for j in found] == [
        ("r1:0", "r2:0", "a", "b", "ana"),
        ("r2:0", "r3:0", "tie", None, "bo"),
    ]
    assert found[0] == first and found[0].sweep_id == "s" and found[0].created_at > 0


def test_bad_judgements_are_refused_before_writing(tmp_path: Path) -> None:
    with RunStore(tmp_path) as store:
        with pytest.raises(ValueError, match="winner must be one of"):
            store.add_judgement("r1:0", "r2:0", "left", judge="ana")
        with pytest.raises(ValueError, match="against itself"):
            store.add_judgement("r1:0", "r1:0", "a", judge="ana")
        with pytest.raises(ValueError, match="shown_left"):
            store.add_judgement("r1:0", "r2:0", "a", judge="ana", shown_left="left")
        with pytest.raises(ValueError, match="judge's name is empty"):
            store.add_judgement("r1:0", "r2:0", "a", judge=" ")
        assert store.judgements(["r1:0", "r2:0"]) == []


def test_ratings_one_per_judge_and_a_missing_note_keeps_the_old_one(tmp_path: Path) -> None:
    with RunStore(tmp_path) as store:
        store.set_rating("r1:0", 2, "too dark", judge="ana")
        store.set_rating("r1:0", 4, judge="ana")  # new stars, note kept
        store.set_rating("r1:0", 5, "lovely", judge="bo")
        with pytest.raises(ValueError, match="from 1 to 5"):
            store.set_rating("r1:0", 6, judge="ana")
        with pytest.raises(ValueError, match="from 1 to 5"):
            store.set_rating("r1:0", True, judge="ana")
    with RunStore(tmp_path) as store:
        got = {(r.judge, r.stars, r.note) for r in store.ratings(["r1:0", "zz:1"])}
        assert got == {("ana", 4, "too dark"), ("bo", 5, "lovely")}
        store.set_rating("r1:0", 3, "", judge="bo")  # an empty note clears it
        assert {r.judge: r.note for r in store.ratings(["r1:0"])}["bo"] is None
