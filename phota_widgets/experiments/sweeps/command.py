"""``phota-widgets sweep FILE.yaml``: plan, run with a terminal progress bar, report, resume."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from phota_widgets.api.errors import BudgetExceededError, PhotaError
from phota_widgets.experiments.sweeps.files import (
    Experiment,
    load_experiment,
    plan_experiment,
    plan_experiment_alone,
)
from phota_widgets.experiments.sweeps.plan import SweepPlan
from phota_widgets.store.config import INDEX_ENV
from phota_widgets.store.errors import StoreError

EXIT_FAILED_CELLS = 1
EXIT_BAD_FILE = 2
EXIT_OVER_BUDGET = 3
EXIT_UNCOLLECTED = 4
"""Cells were paid for (submitted) but not collected: running the same command collects them."""
EXIT_STORE = 5
"""The run store could not be opened, read or written (the message says which and why)."""
EXIT_INTERRUPTED = 130


def sweep_command(
    path: str,
    *,
    dry_run: bool = False,
    max_cost: float | None = None,
    out: str | None = None,
    retry_failed: bool = False,
    max_cells: int | None = None,
    junit: str | None = None,
    min_pass_rate: float | None = None,
) -> int:
    """Run an experiment file; returns the process's exit status.

    The run store lives in ``OUT/runs``, so running the same command again resumes: finished
    cells are not paid for again. The report (``OUT/report.html``), table (``OUT/outputs.csv``,
    image paths relative to OUT) and images (``OUT/images``, settings embedded) are written at the
    end, also after failures. With ``checks:`` in the file, a summary is printed and ``junit``
    writes one test case per output and check. Exit status: 0 all done, 1 failed cells, 2 a bad
    file, 3 over budget, 4 paid cells left to collect, 5 a store failure, 100 a check failed (or
    the pass rate is under ``min_pass_rate``), 130 Ctrl-C.
    """
    from phota_widgets.experiments.scoring.gate import check_min_pass_rate

    try:
        check_min_pass_rate(min_pass_rate)
        experiment = load_experiment(path)
    except (PhotaError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_FILE
    if max_cells is not None:
        experiment.max_cells = max_cells
    folder = Path(out) if out else Path(f"{experiment.path.stem}-results")
    budget = max_cost if max_cost is not None else experiment.max_cost
    if dry_run and not (folder / "runs").exists() and not os.environ.get(INDEX_ENV):
        return _dry_run_without_store(experiment, budget)
    try:
        return _run(
            experiment,
            folder,
            budget,
            dry_run=dry_run,
            retry_failed=retry_failed,
            junit=junit,
            min_pass_rate=min_pass_rate,
        )
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_STORE


def _dry_run_without_store(experiment: Experiment, budget: float | None) -> int:
    """A dry run before the first run: planned from the file alone, no store made, no server."""
    plan = _planned_or_refused(lambda: plan_experiment_alone(experiment), budget)
    if isinstance(plan, int):
        return plan
    print("dry run: nothing was sent (no run store yet: every cell is still to send)")
    return 0


def _planned_or_refused(planner: Callable[[], SweepPlan], budget: float | None) -> SweepPlan | int:
    """The plan, printed; or the exit status when the file is bad or the plan over budget."""
    try:
        plan = planner()
    except StoreError:
        raise
    except PhotaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_FILE
    print(repr(plan))
    try:
        plan.check_budget(budget)
    except BudgetExceededError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_OVER_BUDGET
    return plan


def _run(
    experiment: Experiment,
    folder: Path,
    budget: float | None,
    *,
    dry_run: bool,
    retry_failed: bool,
    junit: str | None,
    min_pass_rate: float | None,
) -> int:
    from phota_widgets.experiments.exports.folder import export_sweep_folder
    from phota_widgets.experiments.scoring.gate import gate
    from phota_widgets.experiments.sweeps.entry import run_plan
    from phota_widgets.session import Session

    with Session(output_dir=folder / "runs") as session:
        plan = _planned_or_refused(
            lambda: plan_experiment(session, experiment, retry_failed=retry_failed), budget
        )
        if isinstance(plan, int):
            return plan
        if dry_run:
            print("dry run: nothing was sent")
            return 0
        try:
            checks = experiment.scorers()
            result = run_plan(
                session, plan, max_cost=budget, progress=True, warn=False, checks=checks
            )
        except KeyboardInterrupt:
            print("interrupted: run the same command again to resume", file=sys.stderr)
            return EXIT_INTERRUPTED
        report, table = export_sweep_folder(result, folder, preference_format=None)
        print(repr(result))
        print(f"report: {report}")
        print(f"table:  {table}")
        checked = gate(result, sys.stdout, junit=junit, min_pass_rate=min_pass_rate)
        counts = result.counts()
        waiting = counts.get("submitted", 0)
        if waiting:
            cells = "cell" if waiting == 1 else "cells"
            print(
                f"not finished: run the same command again to collect {waiting} paid {cells} "
                "(submitted and paid for, not collected yet; nothing is paid twice)",
                file=sys.stderr,
            )
            return EXIT_UNCOLLECTED
        failed = counts.get("failed", 0)
        if failed:
            print(f"{failed} cells failed: run again with --retry-failed to retry them alone")
            return EXIT_FAILED_CELLS
    return checked
