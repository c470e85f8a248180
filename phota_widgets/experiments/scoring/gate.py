"""The CI gate of ``phota-widgets sweep``: a summary table, JUnit XML, and exit status 100
when any check failed or the pass rate is under ``--min-pass-rate`` (promptfoo's convention)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from phota_widgets.experiments.scoring.junit import write_junit
from phota_widgets.experiments.scoring.summary import failures, pass_rate, summary_text

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.result import SweepResult

EXIT_CHECKS_FAILED = 100
SHOWN_FAILURES = 20
"""Failures listed in the terminal (all of them are in the JUnit file and the CSV)."""


def check_min_pass_rate(value: float | None) -> None:
    """Refuse a pass rate that is not a share from 0 to 1.

    Raises:
        ValueError: in words.
    """
    if value is not None and not 0 <= value <= 1:
        raise ValueError(f"--min-pass-rate is a share from 0 to 1 (0.9 is 90%), got {value}")


def gate(
    result: SweepResult,
    out: TextIO,
    *,
    junit: str | None = None,
    min_pass_rate: float | None = None,
) -> int:
    """Print the checks' summary, write the JUnit file, and return 0 or EXIT_CHECKS_FAILED."""
    if junit:
        print(f"junit:  {write_junit(result, Path(junit))}", file=out)
    if not result.checks:
        return 0
    failed = failures(result)
    rate = pass_rate(result)
    print("", file=out)
    print(summary_text(result), file=out)
    for failure in failed[:SHOWN_FAILURES]:
        print(f"FAILED {failure}", file=out)
    if len(failed) > SHOWN_FAILURES:
        print(f"... and {len(failed) - SHOWN_FAILURES} more failed checks", file=out)
    shown = "no verdict" if rate is None else f"{rate:.1%}"
    print(f"pass rate: {shown}, {len(failed)} failed checks", file=out)
    if min_pass_rate is not None and (rate is None or rate < min_pass_rate):
        print(f"pass rate {shown} is under --min-pass-rate {min_pass_rate:.1%}", file=out)
        return EXIT_CHECKS_FAILED
    if failed and min_pass_rate is None:
        return EXIT_CHECKS_FAILED
    return 0
