"""``phota-widgets compare A B [--fail-if-worse 0.05]``: two stored sweeps, cell by cell.

A and B are sweep ids, sweep names (the newest of that name) or experiment files (the sweep
the file describes, as ``phota-widgets sweep FILE`` stored it: in ``<file stem>-results/runs``
under the current folder, unless ``--runs`` names the folder). Nothing is sent: a sweep not
stored yet is an error.

Exit status: 0, or 100 when a check's pass rate dropped by more than the threshold with an
interval that excludes no drop; 2 for a sweep that cannot be found.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phota_widgets.experiments.session_protocol import SweepSession
    from phota_widgets.experiments.sweeps.result import SweepResult

EXIT_WORSE = 100
EXIT_NOT_FOUND = 2
_EXPERIMENT_SUFFIXES = (".yaml", ".yml")


def add_compare_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``compare`` subcommand's arguments."""
    compare = commands.add_parser("compare", help="compare two stored sweeps cell by cell")
    compare.add_argument("a", help="sweep A: id, name or experiment file")
    compare.add_argument("b", help="sweep B: id, name or experiment file")
    compare.add_argument(
        "--fail-if-worse",
        type=float,
        default=None,
        metavar="DROP",
        help="exit 100 when a pass rate drops by more than DROP (e.g. 0.05) for sure",
    )
    compare.add_argument("--runs", default=None, help="the run store folder (default phota-runs)")
    compare.add_argument("--html", default=None, help="also write the side-by-side view here")


class SweepNotFound(LookupError):
    """No stored sweep matches what was given."""


def find_sweep(session: SweepSession, given: str) -> SweepResult:
    """A stored sweep by id, or the newest with this name.

    Raises:
        SweepNotFound: nothing matches.
    """
    from phota_widgets.experiments.sweeps.entry import list_sweeps
    from phota_widgets.experiments.sweeps.result import SweepResult

    listed = list_sweeps(session)
    for info in listed:
        if info.sweep_id == given:
            return SweepResult.load(session, info.sweep_id)
    for info in listed:  # newest first
        if info.name == given:
            return SweepResult.load(session, info.sweep_id)
    known = ", ".join(f"{i.sweep_id} ({i.name})" if i.name else i.sweep_id for i in listed[:8])
    raise SweepNotFound(
        f"no sweep {given!r} in {session.store.root} (known: {known or 'none yet'})"
    )


def sweep_of_file(session: SweepSession, path: Path) -> SweepResult:
    """The stored sweep an experiment file describes (planned here, nothing sent).

    Raises:
        SweepNotFound: the file's sweep is not in this store yet.
    """
    from phota_widgets.experiments.sweeps.files import load_experiment, plan_experiment
    from phota_widgets.experiments.sweeps.result import SweepResult

    plan = plan_experiment(session, load_experiment(path))
    try:
        return SweepResult.load(session, plan.sweep_id)
    except KeyError:
        raise SweepNotFound(
            f"{path} has not been run into {session.store.root} yet: run "
            f"`phota-widgets sweep {path}` first"
        ) from None


def _open(stack: ExitStack, given: str, runs: str | None) -> SweepResult:
    from phota_widgets.session import Session

    path = Path(given)
    is_file = path.suffix.lower() in _EXPERIMENT_SUFFIXES
    if is_file and not path.is_file():
        raise SweepNotFound(f"experiment file {given} does not exist")
    folder = runs or (str(Path(f"{path.stem}-results") / "runs") if is_file else None)
    folder = folder or "phota-runs"
    if not is_file and not Path(folder).is_dir():
        raise SweepNotFound(f"no run store at {folder} (give --runs FOLDER)")
    session = stack.enter_context(Session(output_dir=folder))
    return sweep_of_file(session, path) if is_file else find_sweep(session, given)


def compare_command(
    a: str,
    b: str,
    *,
    fail_if_worse: float | None = None,
    runs: str | None = None,
    html: str | None = None,
) -> int:
    """Print the comparison of two sweeps; returns the process's exit status."""
    from phota_widgets.api.errors import PhotaError
    from phota_widgets.experiments.compare.comparison import compare_sweeps

    if fail_if_worse is not None and not 0 <= fail_if_worse < 1:
        print(
            f"error: --fail-if-worse is a share from 0 to 1, got {fail_if_worse}", file=sys.stderr
        )
        return EXIT_NOT_FOUND
    with ExitStack() as stack:
        try:
            first, second = _open(stack, a, runs), _open(stack, b, runs)
            comparison = compare_sweeps(first, second)
        except (SweepNotFound, PhotaError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_NOT_FOUND
        print(comparison.summary())
        if html:
            print(f"side by side: {comparison.export_html(html)}")
        if fail_if_worse is None:
            return 0
        worse = comparison.worse(fail_if_worse)
        if not worse.empty:
            names = ", ".join(str(c) for c in worse["check"])
            print(f"worse: {names} (pass rate dropped by more than {fail_if_worse:.0%})")
            return EXIT_WORSE
    return 0
