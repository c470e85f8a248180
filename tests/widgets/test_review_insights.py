"""The Experiments tab's Leaderboard and the report show agreement and judgements needed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from phota_widgets.widgets.sweep import SweepPanel


def test_leaderboard_button_and_report_show_needed_and_agreement(
    session: Any, settle: Callable[..., None], tmp_path: Path
) -> None:
    result = session.sweep(
        "generate",
        prompts=["a red house"],
        aspect_ratio=["1:1", "16:9"],
        num_output_images=2,
        progress=False,
    )
    ids = result.to_dataframe().groupby("aspect_ratio")["output_id"].apply(list).to_dict()
    for k in range(2):
        result.judge(ids["1:1"][k], ids["16:9"][k], winner="a", judge="ana")
        result.judge(ids["16:9"][k], ids["1:1"][k], winner="b" if k else "a", judge="ben")
    panel = SweepPanel(session)
    panel.earlier.value = result.sweep_id
    panel.open_button.click()
    settle()
    panel.leaderboard_button.click()
    settle()
    shown = panel.details.value
    needed = str(result.leaderboard().attrs["needed"])
    assert 'class="phota-needed"' in shown and needed in shown
    assert "more judgements to tell apart" in needed or "already told apart" in needed
    assert 'class="phota-agreement"' in shown and "<td>ana</td><td>ben</td><td>2</td>" in shown
    report = result.export_html(tmp_path / "report.html").read_text()
    assert needed in report and "Agreement between judges" in report
    panel.close()
