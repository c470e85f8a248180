"""The Experiments tab's plan view: what the form describes, planned without sending anything.

:func:`plan_form` plans the form's sweep (``session.sweep(..., dry_run=True)``) and says why it
cannot be planned yet (a prompt missing, a ``{name}`` with no vars line, a bad value) or that the
estimate is over the budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from phota_widgets.widgets.sweep_parts import note, unfilled_placeholder

if TYPE_CHECKING:
    from phota_widgets.session import Session
    from phota_widgets.widgets.sweep_form import SweepForm


@dataclass(frozen=True)
class PlannedForm:
    """The plan view of a form.

    Attributes:
        html: what the plan view shows (the plan, or why there is none, in red for a problem).
        runnable: whether Run may start it (a plan within the budget).
        sweep_id: the sweep the form describes ("" when it describes none yet).
        plan: the ``SweepPlan``, or None.
    """

    html: str
    runnable: bool
    sweep_id: str = ""
    plan: Any = None


def plan_form(session: Session, form: SweepForm) -> PlannedForm:
    """Plan what the form describes (nothing is sent) and describe it for the plan view."""
    if budget_error := form.budget_error:
        return PlannedForm(note(budget_error, error=True), runnable=False)
    try:
        kwargs = form.sweep_kwargs()
        if "prompts" not in kwargs and kwargs["endpoint"] in ("generate", "edit"):
            return PlannedForm(note("Write a prompt (one per line) to plan a sweep."), False)
        unfilled = unfilled_placeholder(kwargs)
        if unfilled:
            return PlannedForm(note(unfilled, error=True), runnable=False)
        plan = session.sweep(**kwargs, dry_run=True)
    except ValueError as exc:  # SweepSpecError and InvalidRequestError are ValueErrors
        return PlannedForm(note(f"Cannot plan this yet: {exc}", error=True), runnable=False)
    budget = form.max_cost
    to_pay = plan.cost_to_run  # cells already done are not paid again
    over = budget is not None and to_pay > budget + 1e-9
    warning = (
        note(f"Over budget: the estimate ${to_pay:.2f} is above ${budget:.2f}.", True)
        if over
        else ""
    )
    return PlannedForm(plan._repr_html_() + warning, not over, plan.sweep_id, plan)
