"""Spending is deliberate: the budget is labelled, capped values are said, and with a real key a
costly sweep asks first (in the Experiments tab) or needs ``confirm=True`` (from code).

The widget tests' sessions use the real-API code path (a key and a base URL), so they are
"real" here; a threshold of a cent stands in for $5 so the sweeps stay small.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import phota_widgets as pw
from phota_widgets.experiments.sweeps.spend import ConfirmationRequiredError
from phota_widgets.widgets.sweep import SweepPanel
from phota_widgets.widgets.sweep_form import MAX_REPEATS


def _panel(session: Any, settle: Callable[..., None], prompts: str) -> SweepPanel:
    panel = SweepPanel(session)
    panel.form.prompts.value = prompts
    settle()
    return panel


def test_the_budget_is_labelled_and_an_empty_one_means_no_limit(
    session: Any, settle: Callable[..., None]
) -> None:
    panel = _panel(session, settle, "a red house")
    form = panel.form
    assert form.budget.placeholder == "no limit" and form.budget.value == ""
    assert "Budget: <b>no limit</b>" in form.limits.value
    assert "phota-sweep-limits" in form.limits._dom_classes
    assert form.max_cost is None
    form.budget.set_state({"value": "$2.50"})  # typed in the browser
    settle()
    assert form.max_cost == 2.5 and "over <b>$2.50</b> is refused" in form.limits.value
    form.budget.set_state({"value": "lots"})
    settle()
    assert "is not an amount" in form.limits.value and "is not an amount" in panel.plan_view.value
    assert panel.run_button.disabled
    form.budget.set_state({"value": ""})
    settle()
    assert "no limit" in form.limits.value and not panel.run_button.disabled


def test_a_value_out_of_range_is_capped_and_said(session: Any, settle: Callable[..., None]) -> None:
    panel = _panel(session, settle, "a red house")
    form = panel.form
    form.repeats.set_state({"value": 100000})
    settle()
    settle()  # the capped value's own change is followed too
    assert form.repeats.value == MAX_REPEATS
    assert f"Repeats 100000 is over {MAX_REPEATS}: capped at {MAX_REPEATS}." in form.limits.value
    assert f"{MAX_REPEATS}" in panel.plan_view.value  # the plan is the capped one: 50 calls
    form.repeats.set_state({"value": 0})
    settle()
    assert form.repeats.value == 1 and "Repeats 0 is below 1: set to 1." in form.limits.value
    form.repeats.set_state({"value": 3})
    settle()
    assert "Repeats" not in form.limits.value  # a value in range: the note goes


def test_a_costly_sweep_asks_first_and_sends_only_after_yes(
    session: Any, settle: Callable[..., None]
) -> None:
    panel = _panel(session, settle, "a red house\na blue boat")
    panel.form.confirm_above.set_state({"value": 0.01})
    settle()
    assert "a sweep over $0.01 asks before sending" in panel.form.limits.value
    panel.run_button.click()
    settle()
    assert panel.spend.asking and panel.handle is None and len(session.store) == 0
    question = panel.spend.question.value
    assert "2 calls" in question and "may cost up to $" in question
    cost = panel.spend.yes_button.description
    assert cost.startswith("Spend up to $") and cost != "Spend up to $0.00"

    panel.spend.no_button.click()  # "Don't send"
    settle()
    assert not panel.spend.asking and panel.handle is None and len(session.store) == 0

    panel.run_button.click()
    settle()
    assert panel.spend.asking
    panel.form.prompts.value = "a red house\na blue boat\na green tree"  # the plan changed
    settle()
    assert not panel.spend.asking  # a question about another plan is withdrawn

    panel.run_button.click()
    settle()
    assert "3 calls" in panel.spend.question.value
    panel.spend.yes_button.click()
    result = panel.wait(timeout=60)
    assert result is not None, panel.error.value
    assert len(result.cells) == 3 and len(session.store) == 3


def test_a_cheap_sweep_or_the_offline_server_never_asks(
    session: Any, settle: Callable[..., None], server: pw.LocalServer, tmp_path: Path
) -> None:
    panel = _panel(session, settle, "a red house")  # ~$0.09, under the $5 default
    panel.run_button.click()
    assert panel.wait(timeout=60) is not None, panel.error.value
    assert not panel.spend.asking
    with pw.Session(output_dir=tmp_path / "offline", local_server=server) as offline:
        assert offline.is_local
        plan = offline.sweep("generate", prompts=["a", "b"], confirm_above=0.0, dry_run=True)
        assert plan.cost_to_run > 0
        result = offline.sweep("generate", prompts=["a", "b"], confirm_above=0.0, progress=False)
        assert len(result.cells) == 2  # the stand-in costs nothing: nobody is asked


def test_from_code_a_costly_sweep_needs_confirm(session: Any) -> None:
    assert not session.is_local  # the real-API code path
    with pytest.raises(ConfirmationRequiredError) as refused:
        session.sweep("generate", prompts=["a", "b"], confirm_above=0.01, progress=False)
    text = str(refused.value)
    assert "pass confirm=True" in text and "Nothing was sent" in text
    assert "confirm_above=$0.01" in text and "may cost up to $" in text
    assert isinstance(refused.value, ValueError) and isinstance(refused.value, pw.PhotaError)
    assert refused.value.threshold == 0.01 and refused.value.estimate > 0.01
    assert len(session.store) == 0
    with pytest.raises(ConfirmationRequiredError):
        session.submit_sweep("generate", prompts=["a", "b"], confirm_above=0.01, progress=False)
    assert len(session.store) == 0
    result = session.sweep(
        "generate", prompts=["a", "b"], confirm_above=0.01, confirm=True, progress=False
    )
    assert len(result.cells) == 2
    assert len(session.sweep("generate", prompts=["c"], progress=False).cells) == 1  # < $5


def test_at_a_terminal_the_question_is_asked(
    session: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("n\ny\n"))
    with pytest.raises(ConfirmationRequiredError, match="Not confirmed"):
        session.sweep("generate", prompts=["a", "b"], confirm_above=0.01, progress=False)
    assert "Send it? [y/N]" in capsys.readouterr().out
    assert len(session.store) == 0
    result = session.sweep("generate", prompts=["a", "b"], confirm_above=0.01, progress=False)
    assert len(result.cells) == 2
