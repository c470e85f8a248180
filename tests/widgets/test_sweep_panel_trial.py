"""The Experiments tab as a new user met it: what misled, hid or blocked them (each fixed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from phota_widgets.widgets.sweep import SweepPanel


def test_a_finished_sweep_is_not_refused_for_a_budget_it_no_longer_needs(
    session: Any, settle: Callable[..., None]
) -> None:
    panel = SweepPanel(session)
    panel.form.prompts.value = "a red house\na blue boat"
    settle()
    panel.run_button.click()
    assert panel.wait(timeout=60) is not None, panel.error.value
    settle()
    panel.form.budget.value = "0.01"  # below the sweep's total, above what is left to pay ($0)
    settle()
    assert "to send now" in panel.plan_view.value
    assert "Over budget" not in panel.plan_view.value
    assert not panel.run_button.disabled
    panel.form.prompts.value = "a red house\na blue boat\na green tree"  # one new cell
    settle()
    assert "Over budget" in panel.plan_view.value and panel.run_button.disabled


def test_every_value_of_a_setting_is_in_view_and_choosing_several_is_explained(
    session: Any, settle: Callable[..., None]
) -> None:
    panel = SweepPanel(session)
    for name, select in panel.form.selects.items():
        assert select.rows >= len(select.options), f"{name}: some values need scrolling"
    panel.form.selects["base_model"].value = ("nb2", "gpt-image-2")
    settle()
    resolution = panel.form.selects["resolution"]
    assert resolution.rows >= len(resolution.options) == 3
    assert "16:9" in panel.form.selects["aspect_ratio"].options
    assert "Ctrl" in panel.form.hint.value and "several" in panel.form.hint.value


def test_review_and_leaderboard_open_right_under_their_buttons(
    session: Any, settle: Callable[..., None]
) -> None:
    panel = SweepPanel(session)
    children = list(panel.children)
    actions = next(
        i for i, c in enumerate(children) if panel.review_button in getattr(c, "children", ())
    )
    assert children[actions + 1] is panel.details
    assert children[actions + 2] is panel.review_area
    assert children.index(panel.rating) > children.index(panel.review_area)


def test_review_stops_saying_the_settings_are_hidden_once_they_are_shown(
    session: Any, settle: Callable[..., None]
) -> None:
    panel = SweepPanel(session)
    panel.form.prompts.value = "a red house"
    panel.form.selects["aspect_ratio"].value = ("1:1", "16:9")
    settle()
    panel.run_button.click()
    assert panel.wait(timeout=60) is not None, panel.error.value
    panel.review_button.click()
    settle()
    review = panel.review
    assert review is not None and "hidden until you judge" in review.title.value
    review.left_button.click()
    settle()
    assert "aspect_ratio" in "".join(r.value for r in review.reveals)
    assert "hidden" not in review.title.value
    assert "revealed" in review.title.value


def test_export_also_lands_in_the_browser_as_one_zip(
    session: Any, settle: Callable[..., None], monkeypatch: Any
) -> None:
    import io
    import zipfile

    sent: list[tuple[str, bytes]] = []
    panel = SweepPanel(session)
    monkeypatch.setattr(
        panel.downloader,
        "send",
        lambda content, buffers: sent.append((content["name"], buffers[0])),
    )
    panel.form.prompts.value = "a red house"
    panel.form.selects["aspect_ratio"].value = ("1:1", "16:9")
    settle()
    panel.run_button.click()
    result = panel.wait(timeout=60)
    assert result is not None, panel.error.value
    a, b = result.to_dataframe()["output_id"]
    result.judge(a, b, winner="a")
    panel.export_button.click()
    settle(30)
    [(name, data)] = sent
    assert name == f"{result.sweep_id}-export.zip"
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {"report.html", "outputs.csv", "preferences-trl.jsonl"} <= set(names)
    assert any(n.startswith("images/") for n in names)  # the images the preferences name
    assert "download" in panel.details.value and name in panel.details.value
    assert panel.downloader.count == 1


def test_a_placeholder_without_its_vars_line_is_not_sent_as_written(
    session: Any, settle: Callable[..., None]
) -> None:
    panel = SweepPanel(session)
    panel.form.prompts.value = "a {animal} by a lighthouse"
    settle()
    assert "Prompt 1 uses {animal}" in panel.plan_view.value, panel.plan_view.value
    assert "animal: value, value" in panel.plan_view.value and panel.run_button.disabled
    panel.form.vars.value = "animal: owl, cat"
    settle()
    assert "cells (calls)" in panel.plan_view.value and not panel.run_button.disabled
