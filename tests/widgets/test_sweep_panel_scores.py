"""The Experiments tab shows each output's check badge and filters to failed outputs."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from phota_widgets.widgets.sweep import SweepPanel


def _figures(html: str) -> list[str]:
    return re.findall(r'class="phota-sweep-output" data-output-id="([^"]+)"', html)


def test_badges_and_the_failed_only_filter(session: Any, settle: Callable[..., None]) -> None:
    result = session.sweep(
        "generate",
        ["a {animal} at dusk"],
        vars={"animal": ["owl", "fox"]},
        aspect_ratio=["1:1", "16:9"],
        progress=False,
        checks=[{"aspect_ratio": {"ratio": "16:9"}}, "exposure"],
    )
    frame = result.to_dataframe()
    failing = set(frame.loc[frame["passed"] == False, "output_id"])  # noqa: E712
    assert len(failing) == 2
    panel = SweepPanel(session)
    panel.earlier.value = result.sweep_id
    panel.open_button.click()
    settle()
    assert len(_figures(panel.grid.value)) == 4
    assert panel.grid.value.count("phota-score-badge phota-score-failed") == 2
    assert panel.grid.value.count("✓ passed") == 2
    panel.failed_only.value = True  # the user ticks "Failed only"
    settle()
    assert set(_figures(panel.grid.value)) == failing
    assert "✓ passed" not in panel.grid.value
    panel.failed_only.value = False
    settle()
    assert len(_figures(panel.grid.value)) == 4
    panel.close()


def test_checks_typed_in_the_form_score_the_run(session: Any, settle: Callable[..., None]) -> None:
    panel = SweepPanel(session)
    panel.form.prompts.value = "a red kite"
    panel.form.selects["aspect_ratio"].value = ("1:1", "16:9")
    panel.form.checks.value = "aspect_ratio, max_cost: 0.5, sharpnes"  # a typo
    settle()
    assert "unknown check &#x27;sharpnes&#x27;" in panel.plan_view.value  # HTML-escaped quotes
    assert panel.run_button.disabled
    panel.form.checks.value = "aspect_ratio: {ratio: '1:1'}, max_cost: 0.5"
    settle()
    assert not panel.run_button.disabled, panel.plan_view.value
    panel.run_button.click()
    result = panel.wait(timeout=60)
    assert result is not None, panel.error.value
    frame = result.to_dataframe()
    assert frame["check.aspect_ratio"].sum() == 1 and frame["check.max_cost"].all()
    assert panel.grid.value.count("phota-score-badge") == 2
    panel.failed_only.value = True
    settle()
    assert len(_figures(panel.grid.value)) == 1
    panel.close()
