"""``phota-widgets sweep FILE.yaml``: plan, run with a terminal progress bar, report, resume."""

from __future__ import annotations

import sys
from pathlib import Path

from phota_widgets.api.errors import BudgetExceededError, PhotaError
from phota_widgets.experiments.files import load_experiment, plan_experiment

EXIT_FAILED_CELLS = 1
EXIT_BAD_FILE = 2
EXIT_OVER_BUDGET = 3
EXIT_INTERRUPTED = 130


def sweep_command(
    path: str,
    *,
    dry_run: bool = False,
    max_cost: float | None = None,
    out: str | None = None,
    retry_failed: bool = False,
) -> int:
    """Run an experiment file; returns the process's exit status.

    The run store lives in ``OUT/runs``, so running the same command again resumes: finished
    cells are not paid for again. The report (``OUT/report.html``), table (``OUT/outputs.csv``,
    image paths relative to OUT) and images (``OUT/images``, settings embedded) are written at the
    end, also after failures.
    """
    from phota_widgets.experiments.export import export_sweep_folder
    from phota_widgets.experiments.sweep import run_plan
    from phota_widgets.session import Session

    try:
        experiment = load_experiment(path)
    except PhotaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_FILE
    folder = Path(out) if out else Path(f"{experiment.path.stem}-results")
    budget = max_cost if max_cost is not None else experiment.max_cost
    with Session(output_dir=folder / "runs") as session:
        try:
            plan = plan_experiment(session, experiment, retry_failed=retry_failed)
        except PhotaError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_FILE
        print(repr(plan))
        try:
            plan.check_budget(budget)
        except BudgetExceededError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_OVER_BUDGET
        if dry_run:
            print("dry run: nothing was sent")
            return 0
        try:
            result = run_plan(session, plan, max_cost=budget, progress=True)
        except KeyboardInterrupt:
            print("interrupted: run the same command again to resume", file=sys.stderr)
            return EXIT_INTERRUPTED
        report, table = export_sweep_folder(result, folder, preference_format=None)
        print(repr(result))
        print(f"report: {report}")
        print(f"table:  {table}")
        failed = result.counts().get("failed", 0)
        if failed:
            print(f"{failed} cells failed: run again with --retry-failed to retry them alone")
            return EXIT_FAILED_CELLS
    return 0
