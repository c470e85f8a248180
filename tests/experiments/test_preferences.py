"""Preference exports load as TRL and Pick-a-Pic rows, naming images copied beside the file."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from phota_widgets.experiments.exports.preferences import PreferenceRow, write_preferences

DATA = Path(__file__).parent.parent / "data"


def _rows(tmp_path: Path) -> list[PreferenceRow]:
    one, two = tmp_path / "store" / "aa.jpg", tmp_path / "store" / "bb.jpg"
    one.parent.mkdir()
    one.write_bytes((DATA / "astronaut.jpg").read_bytes())
    two.write_bytes((DATA / "chelsea.jpg").read_bytes())
    row = dict(prompt="a cat", output_0="r1:0", output_1="r2:0", path_0=one, path_1=two)
    row.update(variant_0="ar=1:1", variant_1="ar=16:9")
    return [
        PreferenceRow(
            **row, winner="b", source="judgement", judge="ana", created_at=1e9, shown_left="a"
        ),
        PreferenceRow(**row, winner="tie", source="judgement", judge="bo", created_at=2e9),
        PreferenceRow(**row, winner="both_bad", source="judgement", judge="bo", created_at=3e9),
        PreferenceRow(**row, winner="a", source="pick"),
    ]


def _load(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_trl_rows_have_prompt_chosen_rejected_naming_copied_images(tmp_path: Path) -> None:
    written = write_preferences(_rows(tmp_path), tmp_path / "out" / "prefs.jsonl", format="trl")
    assert [p.name for p in written] == ["prefs.jsonl", "prefs.parquet"]
    rows = _load(written[0])
    assert len(rows) == 2  # the tie and the "both bad" carry no preference
    assert rows[0]["chosen"] == "images/bb.jpg" and rows[0]["rejected"] == "images/aa.jpg"
    assert rows[1]["chosen"] == "images/aa.jpg" and rows[1]["source"] == "pick"
    for row in rows:
        assert {"prompt", "chosen", "rejected"} <= set(row)
        assert (written[0].parent / str(row["chosen"])).is_file()
    parquet = pd.read_parquet(written[1])
    assert list(parquet["chosen"]) == [r["chosen"] for r in rows]


def test_pickapic_rows_have_the_dataset_columns_and_labels(tmp_path: Path) -> None:
    written = write_preferences(_rows(tmp_path), tmp_path / "pp.jsonl", format="pickapic")
    frame = pd.read_json(written[0], lines=True)
    for column in ("caption", "jpg_0", "jpg_1", "label_0", "label_1", "model_0", "model_1"):
        assert column in frame.columns
    assert frame[["label_0", "label_1"]].values.tolist() == [
        [0.0, 1.0], [0.5, 0.5], [0.0, 0.0], [1.0, 0.0]
    ]  # fmt: skip
    assert frame["has_label"].tolist() == [True, True, False, True]
    assert frame["best_image_uid"].tolist() == ["r2:0", "", "", "r1:0"]
    assert set(frame["model_0"]) == {"ar=1:1"} and frame["user_id"][0] == "ana"
    for name in [*frame["jpg_0"], *frame["jpg_1"]]:
        assert (tmp_path / name).is_file()
    assert pd.read_parquet(written[1]).shape == frame.shape


def test_jsonl_keeps_every_row_and_field(tmp_path: Path) -> None:
    written = write_preferences(_rows(tmp_path), tmp_path / "all.jsonl", format="jsonl")
    rows = _load(written[0])
    assert [r["winner"] for r in rows] == ["b", "tie", "both_bad", "a"]
    assert rows[0]["shown_left"] == "a" and rows[0]["judge"] == "ana"
    assert str(rows[0]["created_at"]).startswith("2001-09-09")


def test_bad_format_or_missing_image_is_named_before_writing(tmp_path: Path) -> None:
    rows = _rows(tmp_path)
    with pytest.raises(ValueError, match="format must be one of"):
        write_preferences(rows, tmp_path / "x.jsonl", format="csv")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Parquet file is written beside it"):
        write_preferences(rows, tmp_path / "x.parquet")
    rows[0].path_1.unlink()
    with pytest.raises(ValueError, match="missing on disk"):
        write_preferences(rows, tmp_path / "x.jsonl")
    assert not (tmp_path / "x.jsonl").exists()


def test_identical_images_are_marked_and_never_a_trl_row(tmp_path: Path) -> None:
    one = tmp_path / "store" / "aa.jpg"
    one.parent.mkdir()
    one.write_bytes((DATA / "astronaut.jpg").read_bytes())
    row = dict(prompt="a cat", output_0="r1:0", output_1="r2:0", path_0=one, path_1=one)
    same = PreferenceRow(
        **row, variant_0="m=a", variant_1="m=b", winner="a", source="judgement", identical=True
    )
    trl = write_preferences([same], tmp_path / "trl.jsonl", format="trl")
    assert _load(trl[0]) == []
    pickapic = _load(write_preferences([same], tmp_path / "pp.jsonl", format="pickapic")[0])
    assert pickapic[0]["are_different"] is False
    assert _load(write_preferences([same], tmp_path / "all.jsonl", format="jsonl")[0])[0][
        "identical"
    ]
