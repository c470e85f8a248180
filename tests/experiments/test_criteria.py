"""Criteria: one winner per criterion per pair, ranked, compared, reported and exported apart."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pandas as pd
import pytest
from small_sweeps import three_ratios

import phota_widgets as pw
from phota_widgets.experiments import SweepResult
from phota_widgets.experiments.review.criteria import MAX_CRITERIA, check_criteria, criterion_keys

SQUARE, WIDE, CLASSIC = "aspect_ratio=1:1", "aspect_ratio=16:9", "aspect_ratio=4:3"


@pytest.fixture
def result(session: pw.Session) -> SweepResult:
    return three_ratios(session, ["a red house", "a blue boat"])


def _pairs(result: SweepResult) -> list[tuple[str, str, str, str]]:
    """Every pair of outputs of one prompt: (output a, output b, variant a, variant b)."""
    found = []
    by_prompt: dict[str | None, list[tuple[str, str]]] = {}
    for out in result.outputs():
        by_prompt.setdefault(out.cell.info.prompt, []).append(
            (out.output_id, out.cell.info.variant)
        )
    for members in by_prompt.values():
        for (a, va), (b, vb) in itertools.combinations(members, 2):
            found.append((a, b, va, vb))
    return found


def _judge_all(result: SweepResult, judge: str, criterion: str, best: str) -> int:
    """``judge`` prefers the ``best`` variant by ``criterion`` (a tie between the others)."""
    count = 0
    for a, b, va, vb in _pairs(result):
        winner = "a" if va == best else "b" if vb == best else "tie"
        result.judge(a, b, winner, judge=judge, criterion=criterion)
        count += 1
    return count


def _stored(result: SweepResult) -> int:
    ids = [o.output_id for o in result.outputs()]
    return len(result.session.store.judgements(ids, every_criterion=True))


def test_criteria_are_checked_before_anything_is_recorded(result: SweepResult) -> None:
    a, b, *_ = _pairs(result)[0]
    cases = [
        ([], "asks nothing"),
        (["realism", " Realism "], "given twice"),
        (["realism", ""], "a name such as"),
        ("realism", "as a list"),
        ([f"c{k}" for k in range(MAX_CRITERIA + 1)], "too many"),
    ]
    for criteria, said in cases:
        with pytest.raises(ValueError, match=said):
            result.review(judge="ana", criteria=criteria)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a name such as"):
        result.judge(a, b, "a", judge="ana", criterion="  ")
    assert _stored(result) == 0
    assert check_criteria([" prompt   adherence "]) == ["prompt adherence"]
    keys = criterion_keys(["prompt adherence", "realism", "likeness", "plausibility", "no"])
    assert keys == {"prompt adherence": "p", "realism": "r", "likeness": "l",
                    "plausibility": "a", "no": "o"}  # fmt: skip
    assert not set(keys.values()) & set("n0123456789")  # never next, skip or a verdict


def test_a_leaderboard_per_criterion_and_a_clear_error_without_overall(
    result: SweepResult,
) -> None:
    assert result.leaderboard()["judgements"].sum() == 0  # nothing judged yet: an empty board
    judged = _judge_all(result, "ana", "realism", SQUARE)
    _judge_all(result, "ana", "likeness", WIDE)
    realism = result.leaderboard(criterion="realism")
    likeness = result.leaderboard(criterion="likeness")
    assert realism.iloc[0]["variant"] == SQUARE and likeness.iloc[0]["variant"] == WIDE
    assert realism["judgements"].sum() == 2 * judged  # each judgement counts for both sides
    assert realism.attrs["criterion"] == "realism" and realism.attrs["needed"] is not None
    assert realism.set_index("variant").loc[SQUARE, "wins"] == 4  # 2 pairs x 2 prompts
    by_ratio = result.leaderboard(by="aspect_ratio", criterion="likeness")
    assert by_ratio.iloc[0]["aspect_ratio"] == "16:9"
    with pytest.raises(ValueError, match=r"criteria only \('realism', 'likeness'\).*criterion="):
        result.leaderboard()
    with pytest.raises(ValueError, match="criteria judged: 'realism', 'likeness'"):
        result.leaderboard(criterion="realsim")  # a typo is named, not an empty board
    a, b, va, _ = _pairs(result)[0]
    result.judge(a, b, "a", judge="ana")  # one overall judgement
    overall = result.leaderboard()
    assert overall["judgements"].sum() == 2 and overall.attrs["criterion"] is None
    assert overall.set_index("variant").loc[va, "wins"] == 1


def test_agreement_per_criterion(result: SweepResult) -> None:
    _judge_all(result, "ana", "realism", SQUARE)
    _judge_all(result, "bo", "realism", SQUARE)  # agrees on realism
    _judge_all(result, "ana", "likeness", WIDE)
    _judge_all(result, "bo", "likeness", CLASSIC)  # disagrees on likeness
    same = result.agreement("ana", "bo", criterion="realism")
    differ = result.agreement("ana", "bo", criterion="likeness")
    assert (same.pairs, same.agreeing, same.kappa) == (6, 6, 1.0)
    assert differ.pairs == 6 and differ.agreeing == 0 and differ.kappa < 0
    table = result.agreement(criterion="likeness")
    assert list(table["agreeing"]) == [0]
    with pytest.raises(ValueError, match=r"judged by criteria .*pass criterion="):
        result.agreement("ana", "bo")  # no overall judgements: the criteria are named


def test_the_report_shows_a_leaderboard_per_criterion(result: SweepResult, tmp_path: Path) -> None:
    _judge_all(result, "ana", "realism", SQUARE)
    _judge_all(result, "ana", "prompt adherence", WIDE)
    page = result.export_html(tmp_path / "report.html").read_text()
    assert 'data-criterion="realism"' in page and 'data-criterion="prompt adherence"' in page
    assert page.count('class="phota-leaderboard">') == 0  # judged by criteria only: no overall
    assert "criterion: realism" in page
    a, b, *_ = _pairs(result)[0]
    result.judge(a, b, "a", judge="ana")
    page = result.export_html(tmp_path / "again.html").read_text()
    assert page.count('class="phota-leaderboard">') == 1 and page.count("data-criterion=") == 2
    result.judge(a, b, "a", judge="ana", criterion="<b>sharp</b>")
    page = result.export_html(tmp_path / "third.html").read_text()
    assert "<b>sharp</b>" not in page and "&lt;b&gt;sharp&lt;/b&gt;" in page  # named, inert


def test_preferences_are_written_one_file_per_criterion(
    result: SweepResult, tmp_path: Path
) -> None:
    _judge_all(result, "ana", "realism", SQUARE)
    _judge_all(result, "ana", "prompt adherence", WIDE)
    a, b, *_ = _pairs(result)[0]
    result.judge(a, b, "b", judge="ana")
    written = result.export_preferences(tmp_path / "trl" / "prefs.jsonl", "trl")
    names = sorted(p.name for p in written if p.suffix == ".jsonl")
    assert names == ["prefs.jsonl", "prefs.prompt-adherence.jsonl", "prefs.realism.jsonl"]
    rows = {p.name: [json.loads(x) for x in p.read_text().splitlines()] for p in written
            if p.suffix == ".jsonl"}  # fmt: skip
    assert len(rows["prefs.jsonl"]) == 1 and rows["prefs.jsonl"][0]["chosen_id"] == b
    realism = rows["prefs.realism.jsonl"]
    assert len(realism) == 4  # ties carry no preference: the 4 pairs with 1:1 in them
    assert all(list(r) == list(rows["prefs.jsonl"][0]) for r in realism)  # the TRL columns
    for row in realism:
        assert row["chosen_variant"] == SQUARE
        assert (tmp_path / "trl" / row["chosen"]).is_file()
    full = result.export_preferences(tmp_path / "all" / "prefs.jsonl", "jsonl")
    every = pd.concat(pd.read_json(p, lines=True) for p in full if p.suffix == ".jsonl")
    assert sorted(every["criterion"].fillna("(overall)").unique()) == [
        "(overall)", "prompt adherence", "realism",
    ]  # fmt: skip
    pickapic = result.export_preferences(tmp_path / "pp" / "prefs.jsonl", "pickapic")
    frame = pd.read_json(tmp_path / "pp" / "prefs.realism.jsonl", lines=True)
    assert len(frame) == 6 and "caption" in frame.columns  # ties kept, labelled 0.5/0.5
    assert len(pickapic) == len(written)


def test_pairs_judged_by_every_criterion_asked_are_not_assigned_again(
    result: SweepResult,
) -> None:
    (a, b, *_), (c, d, *_) = _pairs(result)[:2]
    every = len(_pairs(result))
    result.judge(a, b, "a", judge="ana", criterion="realism")
    result.judge(c, d, "a", judge="ana", criterion="realism")
    result.judge(c, d, "b", judge="bo", criterion="likeness")  # by two people: not one's whole
    assert result.assign(["ana", "bo"], overlap=0, criteria=["Realism"]).attrs["pairs"] == every - 2
    both = result.assign(["ana", "bo"], overlap=0, criteria=["realism", "likeness"])
    assert both.attrs["pairs"] == every
    assert result.assign(["ana", "bo"], overlap=0).attrs["pairs"] == every  # none overall yet
    result.judge(a, b, "b", judge="ana")
    assert result.assign(["ana", "bo"], overlap=0).attrs["pairs"] == every - 1


def test_mlflow_gets_a_leaderboard_file_per_criterion(result: SweepResult, tmp_path: Path) -> None:
    from phota_widgets.experiments.exports.mlflow_export import _leaderboard_files

    assert _leaderboard_files(result, tmp_path) == {tmp_path / "leaderboard.csv": None}
    _judge_all(result, "ana", "realism", SQUARE)
    files = _leaderboard_files(result, tmp_path)
    assert files == {tmp_path / "leaderboard.realism.csv": "realism"}  # no overall to rank
    for criterion in files.values():  # what the export writes for each
        assert result.leaderboard(criterion=criterion).iloc[0]["variant"] == SQUARE


def test_one_form_of_a_criterion_name_on_every_write_and_read(result: SweepResult) -> None:
    (a, b, *_), (c, d, *_) = _pairs(result)[:2]
    result.judge(a, b, "a", judge="ana", criterion="Realism")
    result.judge(c, d, "b", judge="ana", criterion="  realism ")  # the stored spelling kept
    result.judge(a, b, "b", judge="bo", criterion="REALISM")
    ids = [o.output_id for o in result.outputs()]
    stored = result.session.store.judgements(ids, every_criterion=True)
    assert [j.criterion for j in stored] == ["Realism"] * 3
    for asked in ("realism", " realism ", "Realism", "REALISM"):
        board = result.leaderboard(criterion=asked)
        assert board["judgements"].sum() == 6 and board.attrs["criterion"] == "Realism"
        assert result.agreement("ana", "bo", criterion=asked).pairs == 1
        assert list(result.agreement(criterion=asked)["pairs"]) == [1]
    panel = result.review(judge="ana", criteria=["realism", "likeness"])
    assert panel.criteria == ["Realism", "likeness"]
    result.judge(c, d, "a", judge="bo", criterion="Light")
    assert result.leaderboard(criterion="light").attrs["criterion"] == "Light"


def test_errors_name_the_judge_and_the_criterion_to_pass(result: SweepResult) -> None:
    a, b, *_ = _pairs(result)[0]
    result.judge(a, b, "a", judge="ana", criterion="realism")
    with pytest.raises(ValueError, match=r"^'ana' judged this sweep by criteria only \('realism'"):
        result.leaderboard(judge="ana")
    with pytest.raises(ValueError, match=r"^this sweep was judged by criteria only"):
        result.agreement()  # no silent empty table
    result.judge(a, b, "a", judge="bo")  # overall, by bo
    with pytest.raises(ValueError, match="criteria judged: 'realism'") as typo:
        result.leaderboard(judge="ana", criterion="likeness")
    assert "by 'ana'" in str(typo.value)
    with pytest.raises(ValueError) as missing:
        result.agreement("ana", "bo")
    said = str(missing.value)
    assert said.endswith("pass criterion='realism'"), said
    assert "judges overall: bo" in said and "nobody" not in said
    assert result.agreement().empty  # overall judgements exist: an empty table is the answer


def test_compare_says_its_win_rates_are_overall_ones(result: SweepResult) -> None:
    _judge_all(result, "ana", "realism", SQUARE)
    found = pw.compare_sweeps(result, result)
    assert found.deltas["win_rate_a"].isna().all()
    assert any("judged by criteria (realism) only: win_rate is NaN" in n for n in found.notes)
    assert "win_rate is NaN" in found.summary() and "win_rate is NaN" in found.show().html
    a, b, *_ = _pairs(result)[0]
    result.judge(a, b, "a", judge="ana")
    again = pw.compare_sweeps(result, result)
    assert "win_rate counts its overall judgements only" in again.notes[0]
