"""SweepPanel (the Experiments tab) driven through its controls and buttons."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from phota_widgets.widgets._common import ui_call
from phota_widgets.widgets.review import ReviewPanel
from phota_widgets.widgets.studio import Studio
from phota_widgets.widgets.sweep import SweepPanel


def _fill(panel: SweepPanel, settle: Callable[..., None]) -> None:
    panel.form.prompts.value = "a {animal} at dusk\na harbour"
    panel.form.vars.value = "animal: cat, owl"
    panel.form.selects["aspect_ratio"].value = ("1:1", "16:9")
    settle()


def test_plan_follows_the_form_and_only_valid_values_are_offered(
    session: Any, settle: Callable[..., None]
) -> None:
    panel = SweepPanel(session)
    assert panel.run_button.disabled and "Write a prompt" in panel.plan_view.value
    _fill(panel, settle)
    assert not panel.run_button.disabled
    assert "6" in panel.plan_view.value  # (2 animals + 1 harbour) x 2 ratios = 6 calls
    kwargs = panel.form.sweep_kwargs()
    assert kwargs["vars"] == {"animal": ["cat", "owl"]}
    assert kwargs["aspect_ratio"] == ["1:1", "16:9"] and kwargs["base_model"] == "nb2"

    form = panel.form
    form.selects["base_model"].value = ("reve",)
    settle()
    assert list(form.selects["resolution"].options) == ["1K"]  # reve has 1K only
    assert form.selects["quality"].layout.display == "none"
    form.selects["base_model"].value = ("reve", "gpt-image-2")
    settle()
    assert list(form.selects["resolution"].options) == ["1K", "2K", "4K"]
    assert form.selects["quality"].layout.display is None

    form.vars.value = "animal cat"  # no colon
    settle()
    assert "vars line 1" in panel.plan_view.value and panel.run_button.disabled
    form.vars.value = "animal: cat, owl"
    form.budget.value = "0.0001"
    settle()
    assert "Over budget" in panel.plan_view.value and panel.run_button.disabled

    form.endpoint.value = "enhance"
    settle()
    assert form.selects["aspect_ratio"].layout.display == "none"  # enhance takes no ratio
    assert form.inputs.layout.display is None


def test_run_review_leaderboard_export_and_reopen(
    session: Any, settle: Callable[..., None], eventually: Callable[..., bool]
) -> None:
    panel = SweepPanel(session)
    _fill(panel, settle)
    panel.run_button.click()
    result = panel.wait(timeout=60)
    assert result is not None, panel.error.value
    assert panel.progress.value == panel.progress.max == 6
    assert "Finished: 6 done, 0 failed" in panel.status.value
    assert "phota-sweep-grid" in panel.grid.value and "animal=owl" in panel.grid.value
    assert result.images == 6

    rating = panel.rating
    chosen = result.to_dataframe()["output_id"][2]
    assert chosen in [value for _, value in rating.output.options]
    rating.output.value = chosen
    rating.rate_button.click()  # no stars chosen yet
    settle()
    assert "choose 1 to 5 stars" in rating.error.value
    rating.stars.value = 4
    rating.note.value = "soft light"
    rating.rate_button.click()
    settle()
    [stored] = session.store.ratings([chosen])
    assert (stored.stars, stored.note) == (4, "soft light")
    assert "★★★★☆ 4.0 · soft light" in panel.grid.value  # the grid shows it at once

    panel.review_button.click()
    settle()
    review = panel.review
    assert isinstance(review, ReviewPanel) and review.pairs
    assert list(panel.review_area.children) == [review]
    review.left_button.click()
    settle()
    assert len(session.store.judgements(o.output_id for o in result.outputs())) == 1

    panel.leaderboard_button.click()
    settle()
    assert "phota-leaderboard" in panel.details.value
    assert "1 judgements by 1 judge(s)" in panel.details.value

    panel.export_format.value = "pickapic"
    panel.export_button.click()
    files = panel.export().result(timeout=30)
    names = sorted(p.name for p in files)
    assert names == [
        "outputs.csv", "preferences-pickapic.jsonl", "preferences-pickapic.parquet",
        "report.html",
    ]  # fmt: skip
    assert all(p.is_file() for p in files)
    table = pd.read_csv(next(p for p in files if p.name == "outputs.csv"))
    assert {"stars", "note", "changed_fraction", "variant"} <= set(table.columns)
    assert all(p.startswith("images/") for p in table["path"].dropna())  # inside the export
    assert all((files[0].parent / p).is_file() for p in table["path"].dropna())
    assert "phota-leaderboard" in next(p for p in files if p.suffix == ".html").read_text()

    again = SweepPanel(session)  # reopening an earlier sweep from the tab
    assert result.sweep_id in [value for _, value in again.earlier.options]
    again.earlier.value = result.sweep_id
    again.open_button.click()
    settle()
    assert again.result is not None and again.result.sweep_id == result.sweep_id
    assert "phota-sweep-grid" in again.grid.value and not again.review_button.disabled


def test_a_finished_sweep_keeps_saying_so_when_the_store_changes_after(
    session: Any, settle: Callable[..., None], eventually: Callable[..., bool]
) -> None:
    """The store watcher notices the sweep's own last writes (or a pick) after its end:
    "Finished: ..." stands, not replaced by a reading of the store (CI once saw it replaced
    before the page could show it), and the rating being typed is kept."""
    session.watcher.interval = 0.02  # look often: the notice comes right after the end
    panel = SweepPanel(session)
    _fill(panel, settle)
    panel.run_button.click()
    result = panel.wait(timeout=60)
    assert result is not None, panel.error.value
    noticed = threading.Event()
    unwatch = session.watch(noticed.set)  # called after the panel's own listener
    try:
        panel.rating.stars.value = 3  # a rating being typed, not sent yet
        panel.rating.note.value = "half done"
        first = next(iter(result.outputs()))
        session.store.set_pick(first.record.run_id, first.record.index)  # the watcher sees it
        assert eventually(noticed.is_set, 60), "the store watcher never reported a change"
        settle()
        assert "Finished: 6 done, 0 failed" in panel.status.value, panel.status.value
        assert panel.progress.value == panel.progress.max == 6
        assert (panel.rating.stars.value, panel.rating.note.value) == (3, "half done")

        rating = panel.rating  # outputs arriving while a sweep runs refill the choices
        fewer = list(rating.output.options)[:-1]
        ui_call(setattr, rating.output, "options", fewer).result(timeout=30)
        rating.output.value = fewer[1][1]
        settle()
        rating.stars.value, rating.note.value = 4, "the second"
        ui_call(rating.set_result, result).result(timeout=30)
        assert len(rating.output.options) == 6 and rating.output.value == fewer[1][1]
        assert (rating.stars.value, rating.note.value) == (4, "the second")
    finally:
        unwatch()
        panel.close()


def test_an_edit_sweep_shows_change_maps_in_the_grid(
    session: Any, data: Path, settle: Callable[..., None]
) -> None:
    panel = SweepPanel(session)
    panel.form.endpoint.value = "edit"
    panel.form.inputs.set(data / "chelsea.jpg").result(timeout=10)
    panel.form.prompts.value = "make it black and white\nmake it warmer"
    settle()
    assert not panel.run_button.disabled, panel.plan_view.value
    panel.run_button.click()
    result = panel.wait(timeout=60)
    assert result is not None and result.images == 2, panel.error.value
    assert panel.grid.value.count('class="phota-change-map"') == 2
    assert "changed" in panel.grid.value
    settle()
    assert panel.rating.change_map.layout.display is None and panel.rating.change_map.value


def test_cancel_stops_a_running_sweep(slow_session: Any, settle: Callable[..., None]) -> None:
    panel = SweepPanel(slow_session)
    panel.form.prompts.value = "\n".join(f"a house number {n}" for n in range(12))
    settle()
    panel.run_button.click()
    settle()
    assert not panel.cancel_button.disabled and panel.run_button.disabled
    panel.cancel_button.click()
    panel.wait(timeout=60)
    assert "Cancelled" in panel.status.value, panel.status.value
    assert panel.cancel_button.disabled and not panel.run_button.disabled


def test_a_refused_sweep_says_why_and_sends_nothing(
    session: Any, settle: Callable[..., None]
) -> None:
    panel = SweepPanel(session)
    panel.form.prompts.value = "a red house"
    panel.form.selects["aspect_ratio"].value = ("1:1", "16:9")
    panel.form.budget.value = "0.0001"
    settle()
    panel.run()  # what a click does, even though the button is off
    settle()
    assert "more than max_cost" in panel.error.value and "nothing was sent" in panel.error.value
    assert panel.handle is None and len(session.store) == 0


def test_the_studio_has_an_experiments_tab(session: Any, tmp_path: Path) -> None:
    studio = Studio(session)
    assert "Experiments" in studio.tabs.titles
    assert isinstance(studio.experiments, SweepPanel)
    studio.select("Experiments").result(timeout=10)


def test_close_leaves_no_widget_open(session: Any, settle: Callable[..., None]) -> None:
    import warnings

    import ipywidgets

    def open_widgets() -> set[str]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return set(ipywidgets.Widget.widgets)

    before = open_widgets()
    panel = SweepPanel(session)
    _fill(panel, settle)
    panel.run_button.click()
    assert panel.wait(timeout=60) is not None, panel.error.value
    panel.review_button.click()  # a ReviewPanel inside, and the rating box filled
    settle()
    made = open_widgets() - before
    assert len(made) > 40
    panel.close()
    settle()
    assert open_widgets() & made == set()
