"""``SweepPanel``: the Studio's Experiments tab: plan, run, watch, review and export sweeps.

The plan (calls, images, cost, time, skipped cells) is made again on the UI thread whenever the
form changes, without sending anything. Run hands the sweep to the session's loop
(``session.submit_sweep``) and returns at once; each finished cell moves the progress bar and,
at most every ``GRID_REFRESH_SECONDS``, the labelled grid is read again from the run store.
Review, Leaderboard and Export work on the sweep shown, which may be an earlier one reopened.
"""

from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from phota_widgets.experiments.sweeps.spend import needs_confirmation, spend_question
from phota_widgets.store.errors import StoreError
from phota_widgets.widgets._common import (
    ErrorBox,
    StatusLine,
    close_tree,
    styled,
    ui_call,
    ui_method,
)
from phota_widgets.widgets.rating import RatingBox
from phota_widgets.widgets.review import ReviewPanel
from phota_widgets.widgets.sweep_actions import SweepActions
from phota_widgets.widgets.sweep_confirm import SpendConfirm
from phota_widgets.widgets.sweep_form import SweepForm, parse_vars
from phota_widgets.widgets.sweep_parts import EarlierSweeps, Totals, earlier_note
from phota_widgets.widgets.sweep_plan_view import plan_form

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.result import SweepResult
    from phota_widgets.experiments.sweeps.runner import CellOutcome, SweepHandle
    from phota_widgets.session import Session

GRID_REFRESH_SECONDS = 0.5
"""Least time between two reloads of the grid while a sweep runs."""
GRID_PX = 160


class SweepPanel(w.VBox):  # type: ignore[misc]
    """Plan, run and review prompt experiments in a notebook (the Studio's Experiments tab).

    Args:
        session: the Session that plans, runs and stores the sweeps.

    Attributes:
        form: the sweep's controls (:class:`SweepForm`).
        plan_view: the plan of what the form describes, or why it cannot be planned.
        handle: the running (or last) sweep's :class:`SweepHandle`.
        result: the sweep shown (a :class:`SweepResult`), or None.
        review: the open :class:`ReviewPanel`, or None.
        run_button, cancel_button, progress, status, error, grid: running and its output.
        failed_only: show only the outputs that failed a check (scored sweeps).
        actions: Review, Leaderboard and Export (:class:`SweepActions`), whose
            review_button, leaderboard_button, export_button, export_format are also here.
        earlier_row: the earlier sweeps to reopen; its earlier, open_button are also here.
        rating, details, downloader: stars and notes per output, the leaderboard or export
            summary, the browser downloads.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.handle: SweepHandle | None = None
        self.result: SweepResult | None = None
        self._last_grid = 0.0
        self._planned = ""  # the sweep id the form describes ("" when it describes none)
        self.totals = Totals()
        self._shown: concurrent.futures.Future[SweepResult | None] | None = None
        self.form = SweepForm(on_change=self.update_plan)
        self.plan_view = styled(w.HTML(), "sweep-plan")
        self.run_button = styled(
            w.Button(description="Run", icon="play", button_style="primary"), "sweep-run"
        )
        self.cancel_button = styled(
            w.Button(description="Cancel", icon="stop", disabled=True), "sweep-cancel"
        )
        self.spend = SpendConfirm()
        self.progress = styled(
            w.IntProgress(value=0, min=0, max=1, layout=w.Layout(width="18em")), "sweep-progress"
        )
        self.status = StatusLine()
        self.error = ErrorBox()
        self.grid = styled(w.HTML(), "sweep-grid")
        self.failed_only = styled(  # outputs that failed a check (scored sweeps: badges)
            w.Checkbox(value=False, description="Failed only", indent=False), "sweep-failed-only"
        )
        self.failed_only.observe(lambda _: self._show_grid(), names="value")
        self.shown_note = styled(w.HTML(), "sweep-shown-note")
        self.actions = actions = SweepActions(session, lambda: self.result, self.error)
        self.review_button = actions.review_button
        self.leaderboard_button = actions.leaderboard_button
        self.export_format, self.export_button = actions.export_format, actions.export_button
        self.earlier_row = EarlierSweeps()
        self.earlier, self.open_button = self.earlier_row.earlier, self.earlier_row.open_button
        self.reload_button = self.earlier_row.reload_button
        self.rating = RatingBox(on_rated=self._rated)
        self.details, self.review_area = actions.details, actions.review_area
        self.downloader = actions.downloader
        self.run_button.on_click(lambda _: self.run())
        self.cancel_button.on_click(lambda _: self.cancel())
        self.open_button.on_click(lambda _: self.open_sweep())
        self.reload_button.on_click(lambda _: self.list_sweeps())
        super().__init__(
            children=[
                self.earlier_row,
                self.form,
                self.plan_view,
                w.HBox([self.run_button, self.cancel_button, self.progress]),
                self.spend,
                self.status,
                self.error,
                self.failed_only,
                self.shown_note,
                self.grid,
                actions.row(),
                self.details,  # what Leaderboard, Export and Review open: under their buttons
                self.review_area,
                self.rating,
                self.downloader,
            ]
        )
        styled(self, "sweep-panel")
        self._plan()
        self._list_sweeps()
        self._unwatch = session.watch(self._when_store_changed)

    def _when_store_changed(self) -> None:
        """Called on the session's loop when the store changed: update on the UI thread."""
        ui_call(self._store_changed)

    def _store_changed(self) -> None:
        """The store changed (perhaps a sweep another process runs): list and show it again."""
        if self.comm is None:
            return
        self._list_sweeps()
        running_here = self.handle is not None and not self.handle.done()
        if self.result is None or running_here:
            return
        self._show_sweep(self.result.sweep_id)
        if self.result is not None and not self._ended_here(self.result):
            self._show_remote_progress(self.result)

    def _ended_here(self, result: SweepResult) -> bool:
        """Whether this panel ran the sweep shown to its end and the store knows no more of it:
        its status ("Finished: ...") then stands (its own last writes, or a rating, noticed
        after the end must not turn it into a reading from the store)."""
        handle = self.handle
        if handle is None or handle.sweep_id != result.sweep_id or not handle.done():
            return False
        p = handle.progress
        return _ended_cells(result.counts()) == p.skipped_done + p.done + p.failed

    def _show_remote_progress(self, result: SweepResult) -> None:
        """Progress of a sweep shown from the store (one another process may be running)."""
        counts = result.counts()
        ended = _ended_cells(counts)
        shown = self._count(result.sweep_id, ended, len(result.cells), result.cost)
        text = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        self.status.show(
            f"Sweep {result.sweep_id}: {shown.ended} of {shown.total} cells ended ({text})"
        )

    def _count(self, sweep_id: str, ended: int, total: int, cost: float) -> Totals:
        """Move the progress bar to a reading of a sweep's cells (it never goes backwards)."""
        shown = self.totals.update(sweep_id, ended, total, cost)
        self.progress.max = max(1, shown.total)
        self.progress.value = shown.ended
        return shown

    # -- planning --------------------------------------------------------------------------------

    @ui_method
    def update_plan(self) -> None:
        """Plan what the form describes (nothing is sent) and show it."""
        self._plan()

    def _plan(self) -> Any:
        self.spend.dismiss()  # a question asked about another plan no longer holds
        planned = plan_form(self.session, self.form)
        self.plan_view.value = planned.html
        running = self.handle is not None and not self.handle.done()
        self.run_button.disabled = not planned.runnable or running
        self._follow_form(planned.sweep_id)
        return planned.plan

    def _follow_form(self, planned: str) -> None:
        """Label the grid and status when they show another sweep than the form describes."""
        self._planned = planned
        running = self.handle is not None and not self.handle.done()
        shown = self.result.sweep_id if self.result is not None else None
        note_html = earlier_note(shown, planned, running)
        if note_html and not self.shown_note.value:
            what = f"sweep {planned}, not run yet" if planned else "no sweep yet"
            self.status.stop(f"The form describes {what}; below is an earlier result.")
        self.shown_note.value = note_html

    # -- running ---------------------------------------------------------------------------------

    def run(self) -> concurrent.futures.Future[None]:
        """Start the sweep the form describes (what Run does); returns at once.

        Returns:
            The future of starting it on the UI thread (the sweep itself is ``self.handle``).
        """
        return ui_call(self._start)

    def _start(self, confirmed: bool = False) -> None:
        if self.handle is not None and not self.handle.done():
            self.error.show_error(RuntimeError("a sweep is running: cancel it or wait"))
            return
        self.error.clear()
        try:
            parse_vars(self.form.vars.value)
            kwargs = self.form.sweep_kwargs()
            if not confirmed and self._ask_first(kwargs):
                return
            handle = self.session.submit_sweep(
                **kwargs,
                max_cost=self.form.max_cost,
                confirm=True,  # asked above when it costs more than the form allows
                progress=False,
                on_cell=self._on_cell,
            )
        except Exception as exc:  # refused before anything was sent: say why
            self.error.show_error(exc)
            return
        self.handle = handle
        self._shown = concurrent.futures.Future()
        if self.result is not None and self.result.sweep_id != handle.sweep_id:
            self.grid.value = ""  # another sweep's grid: cleared, the new one fills in
        self.result = None
        self.shown_note.value = ""
        p = handle.progress
        self._count(handle.sweep_id, p.skipped_done, p.skipped_done + p.total, 0.0)
        self.progress.bar_style = ""
        self.status.start(f"Sweep {handle.sweep_id}: {handle.progress.total} calls to make")
        self.run_button.disabled = True
        self.cancel_button.disabled = False
        self.actions.set_enabled(False)
        handle.add_done_callback(lambda _: self._when_finished(handle))

    def _ask_first(self, kwargs: dict[str, Any]) -> bool:
        """Show the spending question when the plan needs one; returns whether it did."""
        plan = self.session.sweep(**kwargs, max_cost=self.form.max_cost, dry_run=True)
        real, above = not self.session.is_local, self.form.confirm_threshold
        if not needs_confirmation(plan, real=real, confirm_above=above):
            return False
        self.spend.ask(spend_question(plan), plan.cost_to_run, lambda: self._start(True))
        self.status.show("Waiting for your answer: nothing is sent until you click Spend.")
        return True

    def _when_finished(self, handle: SweepHandle) -> None:
        """The sweep ended (called on whichever thread ended it)."""
        ui_call(self._finished, handle)

    def _on_cell(self, outcome: CellOutcome) -> None:
        """A cell finished (called on the session's loop)."""
        ui_call(self._cell_done, outcome)

    def _cell_done(self, outcome: CellOutcome) -> None:
        p = outcome.progress
        sweep_id = self.handle.sweep_id if self.handle is not None else ""
        ended, total = p.skipped_done + p.done + p.failed, p.skipped_done + p.total
        shown = self._count(sweep_id, ended, total, p.cost)
        self.status.show(
            f"{p.done} done · {p.failed} failed · {p.remaining} to go · ${shown.cost:.2f} so far"
        )
        if time.monotonic() - self._last_grid >= GRID_REFRESH_SECONDS and self.handle:
            self._show_sweep(self.handle.sweep_id)

    def _finished(self, handle: SweepHandle) -> None:
        future = handle.future
        p = handle.progress
        if future.cancelled():
            text = f"Cancelled after {p.done} calls; run again to resume (nothing is paid twice)"
            self.progress.bar_style = "warning"
        elif (exc := future.exception()) is not None:
            self.error.show_error(exc)
            text = "The sweep stopped"
            self.progress.bar_style = "danger"
        else:
            text = f"Finished: {p.done} done, {p.failed} failed, ${p.cost:.2f}"
            self.progress.bar_style = "success" if not p.failed else "warning"
        self.status.stop(text)
        self.cancel_button.disabled = True
        try:
            self._show_sweep(handle.sweep_id)
            self._list_sweeps()
            self._plan()
        finally:
            if self._shown is not None and not self._shown.done():
                self._shown.set_result(self.result)

    def cancel(self) -> None:
        """Stop the running sweep (cells already sent are kept; running it again resumes)."""
        if self.handle is not None:
            self.handle.cancel()

    def wait(self, timeout: float | None = None) -> SweepResult | None:
        """Wait until the sweep started last has ended and the panel shows it (code, tests).

        Returns:
            The sweep shown, or None when none ran.

        Raises:
            TimeoutError: it did not end within ``timeout`` seconds.
        """
        ui_call(lambda: None).result(timeout)  # a Run clicked just now has started
        shown = self._shown
        return None if shown is None else shown.result(timeout)

    # -- showing a sweep -------------------------------------------------------------------------

    def _show_sweep(self, sweep_id: str) -> None:
        from phota_widgets.experiments.sweeps.result import SweepResult

        try:
            self.result = SweepResult.load(self.session, sweep_id)
        except (KeyError, StoreError) as exc:
            self.error.show_error(exc)
            return
        self._show_grid()
        self._last_grid = time.monotonic()
        self.rating.set_result(self.result)
        self.actions.set_enabled(True)
        running = self.handle is not None and not self.handle.done()
        self.shown_note.value = earlier_note(self.result.sweep_id, self._planned, running)

    def _show_grid(self) -> None:
        """The grid of the sweep shown (only its failed outputs with "Failed only" ticked)."""
        from phota_widgets.experiments.scoring.report_parts import failed_only

        if self.result is None:
            return
        shown = failed_only(self.result) if self.failed_only.value else self.result
        self.grid.value = shown.show(max_px=GRID_PX)._repr_html_()

    def _rated(self) -> None:
        """A rating was stored: show it in the grid."""
        if self.result is not None:
            self._show_sweep(self.result.sweep_id)

    def list_sweeps(self) -> concurrent.futures.Future[None]:
        """List the stored sweeps in the Earlier dropdown."""
        return ui_call(self._list_sweeps)

    def _list_sweeps(self) -> None:
        self.earlier_row.list(self.session.sweeps())

    def open_sweep(self, sweep_id: str | None = None) -> concurrent.futures.Future[None]:
        """Show a stored sweep (the one chosen in Earlier by default)."""
        return ui_call(self._open, sweep_id)

    def _open(self, sweep_id: str | None) -> None:
        chosen = sweep_id or self.earlier.value
        if not chosen:
            self.error.show_error(ValueError("there is no earlier sweep in this run store yet"))
            return
        self.error.clear()
        self.details.value = ""
        self.actions.close_review()
        self._show_sweep(chosen)
        if self.result is not None:
            r = self.result
            self.status.stop(
                f"Sweep {r.sweep_id}: {len(r.cells)} cells, {r.images} images, ${r.cost:.2f}"
            )
            self._show_remote_progress(r)

    # -- review, leaderboard, export -------------------------------------------------------------

    def open_review(self, *, seed: int | None = None) -> concurrent.futures.Future[None]:
        """Open a :class:`ReviewPanel` on the sweep shown (what Review does)."""
        return ui_call(self.actions.open_review, seed)

    @property
    def review(self) -> ReviewPanel | None:
        """The open :class:`ReviewPanel`, or None."""
        return self.actions.review

    def show_leaderboard(self) -> concurrent.futures.Future[None]:
        """Show the sweep's leaderboard and position bias (what Leaderboard does)."""
        return ui_call(self.actions.leaderboard)

    def export(self, folder: str | Path | None = None) -> concurrent.futures.Future[list[Path]]:
        """Write the report, the table and the preference data (what Export does).

        Args:
            folder: where (``<output_dir>/exports/<sweep_id>`` by default).

        Returns:
            The future of the files written.
        """
        return ui_call(self.actions.export, folder)

    def close(self) -> None:
        """Cancel a running sweep and close the panel and everything inside it."""
        self._unwatch()
        self.cancel()
        close_tree(self, super().close)


def _ended_cells(counts: dict[str, int]) -> int:
    """Cells that have ended, from a sweep's counts by status."""
    return sum(n for status, n in counts.items() if status in ("succeeded", "failed"))
