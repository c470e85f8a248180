"""The Session's sweep methods: where a session hands prompt experiments over to experiments/.

Nothing here runs a sweep: each method plans, checks the budget (and asks before spending on the
real API), then calls into :mod:`phota_widgets.experiments`, imported only inside the method (the
session layer never imports experiments at module level).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from phota_widgets.api.prices import DEFAULT_CONFIRM_ABOVE

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.entry import SweepInfo
    from phota_widgets.experiments.sweeps.plan import SweepPlan
    from phota_widgets.experiments.sweeps.result import SweepResult
    from phota_widgets.experiments.sweeps.runner import CellOutcome, SweepHandle
    from phota_widgets.session.facade import Session


class SweepMethods:
    """``sweep``, ``submit_sweep`` and ``sweeps`` of :class:`~phota_widgets.session.Session`."""

    @overload
    def sweep(
        self,
        endpoint: str,
        prompts: Any = ...,
        images: Any = ...,
        *,
        vars: Mapping[str, Any] | None = ...,
        repeats: int = ...,
        dry_run: Literal[True],
        max_cost: float | None = ...,
        confirm_above: float | None = ...,
        confirm: bool = ...,
        retry_failed: bool = ...,
        progress: bool = ...,
        name: str | None = ...,
        checks: Sequence[Any] | None = ...,
        **grid: Any,
    ) -> SweepPlan: ...

    @overload
    def sweep(
        self,
        endpoint: str,
        prompts: Any = ...,
        images: Any = ...,
        *,
        vars: Mapping[str, Any] | None = ...,
        repeats: int = ...,
        dry_run: Literal[False] = ...,
        max_cost: float | None = ...,
        confirm_above: float | None = ...,
        confirm: bool = ...,
        retry_failed: bool = ...,
        progress: bool = ...,
        name: str | None = ...,
        checks: Sequence[Any] | None = ...,
        **grid: Any,
    ) -> SweepResult: ...

    def sweep(
        self,
        endpoint: str,
        prompts: Any = None,
        images: Any = None,
        *,
        vars: Mapping[str, Any] | None = None,
        repeats: int = 1,
        dry_run: bool = False,
        max_cost: float | None = None,
        confirm_above: float | None = DEFAULT_CONFIRM_ABOVE,
        confirm: bool = False,
        retry_failed: bool = False,
        progress: bool = True,
        name: str | None = None,
        checks: Sequence[Any] | None = None,
        **grid: Any,
    ) -> SweepPlan | SweepResult:
        """Run prompts x inputs x settings x vars x repeats; every cell kept in the run store.

        Args:
            endpoint: ``generate``, ``edit``, ``enhance`` or ``remix``.
            prompts: the prompts; ``{name}`` placeholders are filled from ``vars``.
            images: the inputs (edit: each an image or a list of images).
            vars: each var's values, every one an axis.
            repeats: calls per combination.
            dry_run: only plan: return the :class:`SweepPlan` (cells, cost, time, skips).
            max_cost: refuse (``BudgetExceededError``) if the cells to send may cost more.
            confirm_above: with the real API, cells to send that may cost more than this (US
                dollars; None: never) are confirmed first: asked at a terminal, else refused
                (``ConfirmationRequiredError``, nothing sent) unless ``confirm=True``.
            confirm: send without asking, whatever ``confirm_above`` says.
            retry_failed: send cells that failed before again (done cells never are).
            progress: show a progress bar.
            name: a name for the sweep.
            checks: checks and scores run on each output as it arrives (``"aspect_ratio"``,
                ``{"max_cost": 0.1}``, ``{"vlm_rubric": {...}}``, a function); kept in the store.
            **grid: settings (``aspect_ratio``, ``base_model``, ...; remix: ``reference_image``);
                a list is an axis, a scalar a fixed setting. ``max_cells=`` raises the limit
                on cells (200,000 by default; counted before any cell is built).

        Returns:
            The :class:`SweepResult` (the plan with ``dry_run=True``).
        """
        from phota_widgets.experiments.scoring import resolve_checks
        from phota_widgets.experiments.sweeps.entry import run_plan

        scorers = resolve_checks(checks)  # a bad check is refused before anything is planned
        plan = self._plan_sweep(endpoint, prompts, images, vars, repeats, retry_failed, name, grid)
        if dry_run:
            plan.check_budget(max_cost)
            return plan
        self._confirm_spend(plan, max_cost, confirm_above, confirm)
        return run_plan(self._facade(), plan, max_cost=max_cost, progress=progress, checks=scorers)

    def submit_sweep(
        self,
        endpoint: str,
        prompts: Any = None,
        images: Any = None,
        *,
        vars: Mapping[str, Any] | None = None,
        repeats: int = 1,
        max_cost: float | None = None,
        confirm_above: float | None = DEFAULT_CONFIRM_ABOVE,
        confirm: bool = False,
        retry_failed: bool = False,
        progress: bool = True,
        name: str | None = None,
        on_cell: Callable[[CellOutcome], None] | None = None,
        checks: Sequence[Any] | None = None,
        **grid: Any,
    ) -> SweepHandle:
        """Start a sweep in the background and return at once with a handle.

        The handle has ``progress``, ``cancel()`` and ``result()``; ``on_cell`` is called (on the
        session's loop) as each cell ends. Arguments as :meth:`sweep`.
        """
        from phota_widgets.experiments.scoring import resolve_checks
        from phota_widgets.experiments.sweeps.entry import submit_plan

        scorers = resolve_checks(checks)
        plan = self._plan_sweep(endpoint, prompts, images, vars, repeats, retry_failed, name, grid)
        self._confirm_spend(plan, max_cost, confirm_above, confirm)
        return submit_plan(
            self._facade(),
            plan,
            max_cost=max_cost,
            progress=progress,
            on_cell=on_cell,
            checks=scorers,
        )

    def _confirm_spend(
        self,
        plan: SweepPlan,
        max_cost: float | None,
        confirm_above: float | None,
        confirm: bool,
    ) -> None:
        """Refuse over budget, then ask (or refuse) above ``confirm_above`` on the real API."""
        from phota_widgets.experiments.sweeps.spend import confirm_spend

        plan.check_budget(max_cost)
        confirm_spend(
            plan, real=not self._facade().is_local, confirm_above=confirm_above, confirm=confirm
        )

    def _plan_sweep(
        self,
        endpoint: str,
        prompts: Any,
        images: Any,
        vars: Mapping[str, Any] | None,
        repeats: int,
        retry_failed: bool,
        name: str | None,
        grid: dict[str, Any],
    ) -> SweepPlan:
        from phota_widgets.experiments.sweeps.entry import plan_sweep

        reference = grid.pop("reference_image", None)
        limit = {"max_cells": grid.pop("max_cells")} if "max_cells" in grid else {}
        return plan_sweep(
            self._facade(),
            endpoint,
            prompts=prompts,
            images=images,
            reference_image=reference,
            vars=vars,
            repeats=repeats,
            retry_failed=retry_failed,
            name=name,
            grid=grid,
            **limit,
        )

    def _facade(self) -> Session:
        """This object as the Session it is (only ``Session`` inherits these methods)."""
        return cast("Session", self)

    def sweeps(self) -> list[SweepInfo]:
        """Every sweep in this run store, newest first (reopen one with ``SweepResult.load``)."""
        from phota_widgets.experiments.sweeps.entry import list_sweeps

        return list_sweeps(self._facade())
