"""Spending is deliberate: a sweep on the real API above a threshold needs a confirmation.

From a terminal the question is asked (``[y/N]``); anywhere else (a notebook cell, a script,
CI) ``confirm=True`` says yes in advance, and without it the sweep is refused with a clear
error before anything is sent. The embedded stand-in server costs nothing and never asks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from phota_widgets.api.errors import PhotaError
from phota_widgets.api.prices import DEFAULT_CONFIRM_ABOVE

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.plan import SweepPlan

__all__ = [
    "DEFAULT_CONFIRM_ABOVE",
    "ConfirmationRequiredError",
    "confirm_spend",
    "needs_confirmation",
    "spend_question",
]


class ConfirmationRequiredError(PhotaError, ValueError):
    """A sweep would cost more than ``confirm_above`` and was not confirmed; nothing was sent.

    Attributes:
        estimate: the upper-bound cost of the cells to send, in US dollars.
        threshold: the ``confirm_above`` it is over.
    """

    def __init__(self, message: str, *, estimate: float, threshold: float) -> None:
        super().__init__(message)
        self.estimate = estimate
        self.threshold = threshold


def needs_confirmation(plan: SweepPlan, *, real: bool, confirm_above: float | None) -> bool:
    """Whether sending the plan's cells must be confirmed first (real API, over the threshold)."""
    if not real or confirm_above is None:
        return False
    if confirm_above < 0:
        raise ValueError(f"confirm_above must be >= 0 (or None), got {confirm_above}")
    return plan.cost_to_run > confirm_above + 1e-9


def spend_question(plan: SweepPlan) -> str:
    """The question shown before a costly sweep: what it sends and what it may cost."""
    calls = len(plan.to_run())
    return (
        f"This sweep sends {calls} call{'s' if calls != 1 else ''} to the Phota API and may "
        f"cost up to ${plan.cost_to_run:.2f}."
    )


def confirm_spend(
    plan: SweepPlan,
    *,
    real: bool,
    confirm_above: float | None,
    confirm: bool,
    ask: Callable[[str], str] | None = None,
) -> None:
    """Refuse a costly sweep on the real API unless confirmed (before anything is sent).

    Args:
        plan: the sweep's plan.
        real: whether the session uses the real API (the stand-in server never asks).
        confirm_above: the threshold in US dollars (None: never ask).
        confirm: the caller said yes in advance.
        ask: asks a person and returns the answer (default: ``input`` when stdin is a
            terminal, else nobody can be asked).

    Raises:
        ConfirmationRequiredError: over the threshold, not confirmed (nothing was sent).
    """
    if confirm or not needs_confirmation(plan, real=real, confirm_above=confirm_above):
        return
    assert confirm_above is not None
    question = spend_question(plan)
    ask = ask if ask is not None else _terminal_ask()
    if ask is not None:
        answer = ask(f"{question} Send it? [y/N] ").strip().lower()
        if answer in ("y", "yes"):
            return
        raise ConfirmationRequiredError(
            f"{question} Not confirmed, so nothing was sent.",
            estimate=plan.cost_to_run,
            threshold=confirm_above,
        )
    raise ConfirmationRequiredError(
        f"{question} That is above confirm_above=${confirm_above:.2f}, and nobody can be asked "
        "here: pass confirm=True to send it (or raise confirm_above). Nothing was sent.",
        estimate=plan.cost_to_run,
        threshold=confirm_above,
    )


def _terminal_ask() -> Callable[[str], str] | None:
    """``input`` when a person sits at a terminal, else None."""
    stdin = sys.stdin
    try:
        interactive = stdin is not None and stdin.isatty()
    except (ValueError, OSError):  # a closed or odd stdin
        interactive = False
    return input if interactive else None
