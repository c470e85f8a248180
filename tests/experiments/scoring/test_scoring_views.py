"""Scores in the report (a badge per output, pass rates with Wilson intervals) and the
leaderboard (pass_rate and mean score columns)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import phota_widgets as pw
from phota_widgets.experiments.scoring import wilson


def _scored(session: pw.Session) -> pw.SweepResult:
    return session.sweep(
        "generate",
        ["a {animal} at dusk"],
        vars={"animal": ["owl", "fox"]},
        aspect_ratio=["1:1", "16:9"],
        progress=False,
        checks=[{"aspect_ratio": {"ratio": "1:1"}}, "sharpness"],
    )


def test_the_report_shows_a_badge_per_output_and_pass_rates(
    session: pw.Session, tmp_path: Path
) -> None:
    res = _scored(session)
    html = res.export_html(tmp_path / "report.html").read_text(encoding="utf-8")
    badges = re.findall(r'class="phota-score-badge phota-score-(passed|failed)"', html)
    frame = res.to_dataframe()
    assert len(badges) == len(frame) == 4
    assert badges.count("passed") == int(frame["passed"].sum()) == 2
    assert "✗ failed: aspect_ratio" in html and "✓ passed" in html
    table = html.split('class="phota-score-rates"', 1)[1].split("</table>", 1)[0]
    low, high = wilson(1, 1)
    assert f"{low:.0%} – {high:.0%}" in table  # one output per variant, all passed
    assert "mean sharpness" in table and table.count("<tr>") == 1 + 4
    plain = pw.SweepResult.load(session, res.sweep_id)  # unscored views still work
    assert "phota-score-badge" in plain.export_html(tmp_path / "again.html").read_text()


def test_the_leaderboard_gains_pass_rate_and_mean_scores(session: pw.Session) -> None:
    res = _scored(session)
    board = res.leaderboard().set_index("variant")
    frame = res.to_dataframe()
    for variant, rows in frame.groupby("variant"):
        assert board.loc[variant, "pass_rate"] == pytest.approx(rows["passed"].mean())
        assert board.loc[variant, "mean_sharpness"] == pytest.approx(rows["score.sharpness"].mean())
    by_ratio = res.leaderboard(by="aspect_ratio").set_index("aspect_ratio")
    assert by_ratio.loc["1:1", "pass_rate"] == 1.0 and by_ratio.loc["16:9", "pass_rate"] == 0.0


def test_an_unscored_leaderboard_keeps_its_columns(session: pw.Session) -> None:
    res = session.sweep("generate", ["a kite"], aspect_ratio=["1:1", "16:9"], progress=False)
    assert "pass_rate" not in res.leaderboard().columns
