"""Review of a real sweep on the embedded server: judgements, ratings, leaderboard, exports."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from sweep_helpers import KEY

import phota_widgets as pw
from phota_widgets.experiments import SweepResult
from phota_widgets.experiments.review.judgements import judge
from phota_widgets.experiments.review.pairs import review_items, schedule_pairs
from phota_widgets.experiments.review.ranking import Comparison, fit_scores
from phota_widgets.local import LocalServer

RATIOS = ["1:1", "16:9", "4:3"]


def _sweep(session: pw.Session) -> SweepResult:
    return session.sweep(
        "generate",
        prompts=["a red house", "a blue boat"],
        aspect_ratio=RATIOS,
        num_output_images=2,
        progress=False,
    )


def _outputs(result: SweepResult) -> dict[tuple[str, str], list[str]]:
    """(prompt, aspect ratio) -> output ids."""
    frame = result.to_dataframe()
    found: dict[tuple[str, str], list[str]] = {}
    for _, row in frame.iterrows():
        found.setdefault((row["prompt"], row["aspect_ratio"]), []).append(row["output_id"])
    return found


def test_judgements_and_ratings_persist_across_a_restart(
    server: LocalServer, tmp_path: Path
) -> None:
    folder = tmp_path / "runs"
    with pw.Session(api_key=KEY, base_url=server.base_url, output_dir=folder) as s:
        result = _sweep(s)
        ids = _outputs(result)
        house_square, house_wide = ids[("a red house", "1:1")][0], ids[("a red house", "16:9")][0]
        recorded = result.judge(house_square, house_wide, winner="b", judge="ana")
        assert recorded.judge == "ana" and recorded.shown_left is None
        result.rate(house_wide, 5, note="crisp")
        result.rate(house_square, 2)
        sweep_id = result.sweep_id
    with pw.Session(api_key=KEY, base_url=server.base_url, output_dir=folder) as s:
        again = SweepResult.load(s, sweep_id)
        board = again.leaderboard().set_index("variant")
        assert board.loc["aspect_ratio=16:9", "wins"] == 1
        assert board.loc["aspect_ratio=1:1", "losses"] == 1
        frame = again.to_dataframe().set_index("output_id")
        assert frame.loc[house_wide, "stars"] == 5 and frame.loc[house_wide, "note"] == "crisp"
        assert frame.loc[house_square, "stars"] == 2 and pd.isna(frame.loc[house_square, "note"])
        assert frame["changed_fraction"].isna().all()  # generate: no input to compare with


def test_bad_judgements_are_named_before_anything_is_written(session: pw.Session) -> None:
    result = _sweep(session)
    ids = _outputs(result)
    house, boat = ids[("a red house", "1:1")][0], ids[("a blue boat", "16:9")][0]
    with pytest.raises(ValueError, match="different prompts or inputs"):
        result.judge(house, boat, winner="a")
    with pytest.raises(ValueError, match="winner must be one of"):
        result.judge(house, ids[("a red house", "4:3")][0], winner="left")
    with pytest.raises(KeyError, match="no output"):
        result.judge(house, "nope:0", winner="a")
    with pytest.raises(ValueError, match="from 1 to 5"):
        result.rate(house, 0)
    assert result.leaderboard()["judgements"].sum() == 0


def test_leaderboard_matches_the_hand_computed_case(session: pw.Session) -> None:
    result = _sweep(session)
    ids = _outputs(result)
    square, wide, classic = "aspect_ratio=1:1", "aspect_ratio=16:9", "aspect_ratio=4:3"
    plan = [  # (winner variant, loser variant, times): A=1:1 > B=16:9 > C=4:3, as in test_ranking
        ("1:1", "16:9", 2), ("16:9", "1:1", 1), ("16:9", "4:3", 2), ("4:3", "16:9", 1),
        ("1:1", "4:3", 4), ("4:3", "1:1", 1),
    ]  # fmt: skip
    expected: list[Comparison] = []
    for number, (win, lose, times) in enumerate(plan):
        prompt = ("a red house", "a blue boat")[number % 2]
        for k in range(times):
            a, b = ids[(prompt, win)][k % 2], ids[(prompt, lose)][k % 2]
            result.judge(a, b, winner="a", judge="ana")
            expected.append(Comparison(f"aspect_ratio={win}", f"aspect_ratio={lose}", "a"))
    result.judge(ids[("a red house", "1:1")][0], ids[("a red house", "4:3")][0], "tie", "bo")
    expected.append(Comparison(square, classic, "tie"))
    result.pick(ids[("a red house", "16:9")][0])
    board = result.leaderboard()
    assert list(board.columns) == [
        "variant", "judgements", "wins", "losses", "ties", "win_rate", "score", "ci_low",
        "ci_high", "mean_stars", "picks", "cost_per_image",
    ]  # fmt: skip
    rows = board.set_index("variant")
    assert list(rows.index) == [square, wide, classic]
    assert rows.loc[square, ["wins", "losses", "ties", "judgements"]].tolist() == [6, 2, 1, 9]
    assert rows.loc[wide, ["wins", "losses", "ties"]].tolist() == [3, 3, 0]
    assert rows.loc[classic, ["wins", "losses", "ties"]].tolist() == [2, 6, 1]
    assert rows.loc[square, "win_rate"] == pytest.approx(6.5 / 9)
    scores = fit_scores([square, wide, classic], expected)
    assert rows["score"].to_dict() == pytest.approx(scores)
    assert (rows["ci_low"] < rows["score"]).all() and (rows["score"] < rows["ci_high"]).all()
    assert rows.loc[wide, "picks"] == 1 and rows.loc[square, "picks"] == 0
    costs = result.to_dataframe().groupby("variant")["cost"].mean()
    assert rows.loc[square, "cost_per_image"] == pytest.approx(costs[square], abs=1e-4)
    assert math.isnan(rows.loc[square, "mean_stars"])
    assert board.attrs["position_bias"].decisive == 0  # judged from code: no sides

    by_ratio = result.leaderboard(by="aspect_ratio")
    assert by_ratio.columns[0] == "aspect_ratio"
    assert set(by_ratio["aspect_ratio"]) == set(RATIOS)
    with pytest.raises(ValueError, match="not swept here"):
        result.leaderboard(by="resolution")


def test_preference_exports_load_and_name_existing_files(
    session: pw.Session, tmp_path: Path
) -> None:
    result = _sweep(session)
    ids = _outputs(result)
    result.judge(ids[("a red house", "1:1")][0], ids[("a red house", "16:9")][1], "b", "ana")
    result.judge(ids[("a blue boat", "1:1")][1], ids[("a blue boat", "4:3")][0], "tie", "ana")
    picked = ids[("a blue boat", "16:9")][1]
    result.pick(picked)  # against the other output of its cell
    trl, trl_parquet = result.export_preferences(tmp_path / "out" / "trl.jsonl", format="trl")
    rows = [json.loads(line) for line in trl.read_text().splitlines()]
    assert len(rows) == 2  # the judgement with a winner, and the pick; the tie has no preference
    assert rows[0]["chosen_id"] == ids[("a red house", "16:9")][1]
    assert rows[1]["chosen_id"] == picked and rows[1]["source"] == "pick"
    assert rows[1]["rejected_id"] == ids[("a blue boat", "16:9")][0]
    for row in rows:
        assert row["prompt"] in ("a red house", "a blue boat")
        assert (trl.parent / row["chosen"]).is_file() and (trl.parent / row["rejected"]).is_file()
        assert not Path(row["chosen"]).is_absolute()
    assert len(pd.read_parquet(trl_parquet)) == 2
    pick, _ = result.export_preferences(tmp_path / "pp" / "pickapic.jsonl", format="pickapic")
    frame = pd.read_json(pick, lines=True)
    assert len(frame) == 3
    for column in ("caption", "jpg_0", "jpg_1", "label_0", "label_1", "model_0", "model_1"):
        assert column in frame.columns
    assert frame["label_0"].tolist() == [0.0, 0.5, 1.0]
    assert all((pick.parent / name).is_file() for name in [*frame["jpg_0"], *frame["jpg_1"]])


def test_edit_outputs_get_a_changed_fraction(session: pw.Session, data_dir: Path) -> None:
    result = session.sweep(
        "edit",
        prompts=["make it black and white", "make it a little brighter"],
        images=[[data_dir / "chelsea.jpg"]],
        progress=False,
    )
    frame = result.to_dataframe().set_index("prompt")
    assert frame["changed_fraction"].notna().all()
    assert frame.loc["make it black and white", "changed_fraction"] > 0.2
    assert 0 <= frame.loc["make it a little brighter", "changed_fraction"] <= 1


def test_the_report_holds_the_leaderboard_and_the_counts(
    session: pw.Session, tmp_path: Path
) -> None:
    result = _sweep(session)
    ids = _outputs(result)
    result.judge(ids[("a red house", "1:1")][0], ids[("a red house", "16:9")][0], "a", "ana")
    result.judge(ids[("a red house", "1:1")][1], ids[("a red house", "4:3")][0], "both_bad", "bo")
    html = result.export_html(tmp_path / "report.html").read_text()
    assert 'class="phota-leaderboard"' in html
    assert "2 judgements by 2 judge(s): 1 with a winner, 0 ties, 1 both bad" in html
    assert "aspect_ratio=16:9" in html and "not yet told apart" in html


def test_pairs_compare_like_with_like(session: pw.Session, tmp_path: Path) -> None:
    """Pairs and exports stay within one filled prompt: an owl never meets a fox."""
    result = session.sweep(
        "generate",
        prompts=["a {animal} at dusk"],
        vars={"animal": ["owl", "fox"]},
        aspect_ratio=["1:1", "16:9"],
        progress=False,
    )
    frame = result.to_dataframe()
    prompt_of = dict(zip(frame["output_id"], frame["prompt"], strict=True))
    pairs = schedule_pairs(review_items(result), seed=3)
    assert len(pairs) == 2  # one pair of aspect ratios per animal
    for pair in pairs:
        assert prompt_of[pair.a.output_id] == prompt_of[pair.b.output_id]
        assert pair.a.variant != pair.b.variant
    by = frame.set_index(["animal", "aspect_ratio"])["output_id"]
    with pytest.raises(ValueError, match="same filled prompt"):
        result.judge(by[("owl", "1:1")], by[("fox", "16:9")], "a")
    judge(result, by[("owl", "1:1")], by[("owl", "16:9")], "b", shown_left="b")
    judge(result, by[("fox", "1:1")], by[("fox", "16:9")], "a", shown_left="a")
    board = result.leaderboard(by="aspect_ratio").set_index("aspect_ratio")
    assert board.loc["16:9", "wins"] == 1 and board.loc["1:1", "wins"] == 1
    # position bias is the judge's: the same whatever by= (by animal, no pair differs)
    biases = {str(result.leaderboard(by=b).attrs["position_bias"]) for b in (None, *result.axes)}
    assert biases == {str(result.leaderboard().attrs["position_bias"])}
    assert "left side won 2 of 2" in biases.pop()
    path, *_ = result.export_preferences(tmp_path / "prefs.jsonl", format="jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["prompt"] for r in rows] == ["a owl at dusk", "a fox at dusk"]
    trl_path, *_ = result.export_preferences(tmp_path / "trl" / "prefs.jsonl", format="trl")
    trl = [json.loads(line) for line in trl_path.read_text().splitlines()]
    assert {r["prompt"] for r in trl} <= {"a owl at dusk", "a fox at dusk"}
    for row in rows:  # identical bytes are marked, and never a TRL row
        one, two = (result.output(row[k]).record.sha256 for k in ("output_0", "output_1"))
        assert row["identical"] == (one == two)
    assert len(trl) == sum(not r["identical"] for r in rows)
