"""The entry points the Session delegates to: plan, run (blocking or in the background), list."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from phota_widgets.experiments.scoring.specs import CheckSpec, resolve_checks
from phota_widgets.experiments.sweeps import records
from phota_widgets.experiments.sweeps.limits import DEFAULT_MAX_CELLS
from phota_widgets.experiments.sweeps.plan import SweepPlan, make_plan
from phota_widgets.experiments.sweeps.runner import CellOutcome, SweepHandle, SweepRunner, annotate

if TYPE_CHECKING:
    from phota_widgets.experiments.session_protocol import SweepSession
    from phota_widgets.experiments.sweeps.result import SweepResult


@dataclass(frozen=True)
class SweepInfo:
    """One stored sweep, as ``session.sweeps()`` lists it."""

    sweep_id: str
    name: str | None
    endpoint: str
    created_at: float
    cells: int
    succeeded: int
    failed: int

    def __repr__(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.created_at))
        name = f" {self.name!r}" if self.name else ""
        return (
            f"SweepInfo({self.sweep_id}{name}: {self.endpoint}, {self.cells} cells, "
            f"{self.succeeded} succeeded, {self.failed} failed, {when})"
        )


def plan_sweep(
    session: SweepSession,
    endpoint: str,
    *,
    prompts: Any = None,
    images: Any = None,
    reference_image: Any = None,
    vars: Mapping[str, Any] | None = None,
    repeats: int = 1,
    retry_failed: bool = False,
    name: str | None = None,
    grid: Mapping[str, Any] | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> SweepPlan:
    """A checked plan with what the session's store already holds (done, failed, waiting)."""
    plan = make_plan(
        endpoint,
        prompts=prompts,
        images=images,
        reference_image=reference_image,
        vars=vars,
        repeats=repeats,
        defaults=session.defaults,
        prices=session.prices,
        name=name,
        max_cells=max_cells,
        **dict(grid or {}),
    )
    return annotate(session, plan, retry_failed=retry_failed)


def submit_plan(
    session: SweepSession,
    plan: SweepPlan,
    *,
    max_cost: float | None = None,
    progress: bool = True,
    on_cell: Callable[[CellOutcome], None] | None = None,
    checks: Sequence[CheckSpec] | None = None,
) -> SweepHandle:
    """Check the budget, then start the plan on the session's loop and return at once.

    Raises:
        BudgetExceededError: the cells to send may cost more than ``max_cost`` (nothing sent).
        CheckSpecError: a check that cannot be used (nothing sent).
    """
    scorers = resolve_checks(checks)
    plan.check_budget(max_cost)
    runner = SweepRunner(session, plan, progress_bar=progress, on_cell=on_cell, checks=scorers)
    future = session.loop.submit(runner.run())
    future.add_done_callback(lambda _: runner.close_bar())
    return SweepHandle(runner, future)


def run_plan(
    session: SweepSession,
    plan: SweepPlan,
    *,
    max_cost: float | None = None,
    progress: bool = True,
    warn: bool = True,
    checks: Sequence[CheckSpec] | None = None,
) -> SweepResult:
    """Run a plan and wait for it; an interrupt (Ctrl-C, a notebook's stop) cancels it.

    With ``warn``, cells left paid but not collected (``submitted``) are said in a warning.
    ``checks`` score each output as it arrives (see :mod:`phota_widgets.experiments.scoring`).
    """
    scorers = resolve_checks(checks)
    plan.check_budget(max_cost)
    from phota_widgets.experiments.sweeps.result import uncollected_message

    runner = SweepRunner(session, plan, progress_bar=progress, checks=scorers)
    try:
        result = session.loop.run(runner.run())
    finally:
        runner.close_bar()
    waiting = result.counts().get("submitted", 0)
    if waiting and warn:
        warnings.warn(uncollected_message(waiting), UserWarning, stacklevel=3)
    return result


def list_sweeps(session: SweepSession) -> list[SweepInfo]:
    """Every sweep in the session's run store, newest first."""
    return [
        SweepInfo(row.sweep_id, row.name, row.endpoint, row.created_at, n, ok, bad)
        for row, n, ok, bad in records.list_sweeps(session.store)
    ]
