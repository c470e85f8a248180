"""Experiments as YAML files: the same sweep as ``Session.sweep``, written down and re-runnable.

::

    name: owls at dusk
    endpoint: generate
    prompts:                       # or {csv: prompts.csv, column: prompt}
      - "a {animal} at dusk, [[p1]]"
    vars: {animal: [owl, fox]}
    grid: {aspect_ratio: ["1:1", "16:9"], base_model: [nb2, flux-2]}
    repeats: 2
    max_cost: 5.0
    max_cells: 500000              # optional: the limit on cells (200,000 by default)
    checks:                        # scored on every output (experiments/scoring)
      - aspect_ratio
      - max_cost: 0.10
      - changed_fraction: {max: 0.3}

Paths (images, the CSV) are relative to the file. A bad file is an :class:`ExperimentFileError`
naming the file, the line and the field. Files are read within bounds (size, nesting, YAML
alias expansion: see :mod:`~phota_widgets.experiments.sweeps.yaml_source`). Values like
``16:9`` read as text (YAML 1.1 would read them as base-60 numbers).
"""

from __future__ import annotations

import csv
import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError

from phota_widgets.api.errors import InvalidRequestError
from phota_widgets.api.images import is_url
from phota_widgets.experiments.sweeps.axes import SweepSpecError, placeholders
from phota_widgets.experiments.sweeps.limits import DEFAULT_MAX_CELLS
from phota_widgets.experiments.sweeps.yaml_source import SourceError, parse, read_text

if TYPE_CHECKING:
    from phota_widgets.experiments.scoring import Scorer
    from phota_widgets.experiments.session_protocol import SweepSession
    from phota_widgets.experiments.sweeps.plan import SweepPlan
    from phota_widgets.experiments.sweeps.result import SweepResult


class ExperimentFileError(InvalidRequestError):
    """An experiment file that cannot be run; the message names the file, line and field."""


class _CsvPrompts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    csv: str
    column: str = "prompt"


class _ExperimentModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    endpoint: str
    prompts: list[str | None] | _CsvPrompts | str | None = None
    images: list[str | list[str]] | str | None = None
    reference_image: list[str] | str | None = None
    vars: dict[str, list[str | int | float] | str | int | float] | None = None
    grid: dict[str, Any] = {}
    repeats: Annotated[StrictInt, Field(ge=1)] = 1
    max_cost: Annotated[StrictFloat | StrictInt, Field(ge=0)] | None = None
    max_cells: Annotated[StrictInt, Field(ge=1)] | None = None
    checks: list[str | dict[str, Any]] | None = None


@dataclass
class Experiment:
    """A sweep read from a file: the arguments of ``Session.sweep`` plus its budget."""

    path: Path
    endpoint: str
    name: str | None = None
    prompts: list[str | None] | None = None
    images: list[Any] | None = None
    reference_image: Any = None
    vars: dict[str, Any] | None = None
    grid: dict[str, Any] = field(default_factory=dict)
    repeats: int = 1
    max_cost: float | None = None
    max_cells: int = DEFAULT_MAX_CELLS
    checks: list[Any] | None = None
    _marks: dict[tuple[Any, ...], int] = field(default_factory=dict, repr=False)

    def sweep_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``Session.sweep`` this file stands for."""
        kwargs: dict[str, Any] = dict(self.grid)
        if self.reference_image is not None:
            kwargs["reference_image"] = self.reference_image
        return {
            "prompts": self.prompts,
            "images": self.images,
            "vars": self.vars,
            "repeats": self.repeats,
            "name": self.name,
            "max_cells": self.max_cells,
            "checks": self.checks,
            **kwargs,
        }

    def scorers(self) -> list[Scorer]:
        """The file's ``checks:`` as scorers.

        Raises:
            ExperimentFileError: a check that cannot be used (line and field named).
        """
        from phota_widgets.experiments.scoring import CheckSpecError, resolve_checks

        try:
            return resolve_checks(self.checks)
        except CheckSpecError as exc:
            where: tuple[Any, ...] = ("checks", exc.index)
            if exc.field is not None:
                where = (*where, exc.field)
            line = self.line_of(*where)
            field_text = ".".join(map(str, where))
            message = _located(self.path, line, field_text, exc.reason)
            raise ExperimentFileError(message) from None

    def line_of(self, *path: Any) -> int | None:
        """The 1-based line of a field (the nearest enclosing one found)."""
        for end in range(len(path), 0, -1):
            line = self._marks.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def error(self, exc: SweepSpecError) -> ExperimentFileError:
        """A sweep error located in this file (line and field)."""
        where = _yaml_path(exc.field, exc.index)
        line = self.line_of(*where) if where else None
        return ExperimentFileError(_located(self.path, line, ".".join(map(str, where)), str(exc)))


def load_experiment(path: str | os.PathLike[str]) -> Experiment:
    """Read and check the shape of an experiment file.

    Raises:
        ExperimentFileError: unreadable YAML, an unknown field or a value of the wrong kind.
    """
    source = Path(path)
    try:
        parsed = parse(read_text(source))
    except OSError as exc:
        raise ExperimentFileError(f"{source}: cannot read the file ({exc.strerror})") from None
    except SourceError as exc:
        raise ExperimentFileError(_located(source, exc.line, exc.field, str(exc))) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ExperimentFileError(
            _located(source, line, "", f"not valid YAML: {problem}")
        ) from None
    data, marks = parsed.data, parsed.marks
    if not isinstance(data, dict):
        raise ExperimentFileError(f"{source}: an experiment file is a mapping (endpoint: ...)")
    try:
        spec = _ExperimentModel.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p[:1].isupper()))
        loc = _trim_union(loc)
        line = _nearest(marks, loc)
        raise ExperimentFileError(
            _located(source, line, ".".join(map(str, loc)), _problem(first, loc))
        ) from None
    base = source.parent
    prompts = _prompts(spec, base, marks, source)
    if not spec.vars:
        _refuse_unfilled(prompts, marks, source)
    experiment = Experiment(
        path=source,
        endpoint=spec.endpoint,
        name=spec.name,
        prompts=prompts,
        images=_paths(spec.images, base),
        reference_image=_paths(spec.reference_image, base),
        vars=spec.vars,
        grid=dict(spec.grid),
        repeats=spec.repeats,
        max_cost=spec.max_cost,
        max_cells=spec.max_cells or DEFAULT_MAX_CELLS,
        checks=spec.checks,
        _marks=marks,
    )
    experiment.scorers()  # a check that cannot be used is refused now, before anything is sent
    return experiment


def sweep_from_file(
    session: SweepSession,
    path: str | os.PathLike[str],
    *,
    dry_run: bool = False,
    max_cost: float | None = None,
    retry_failed: bool = False,
    progress: bool = True,
) -> SweepPlan | SweepResult:
    """Run (or with ``dry_run=True`` only plan) the sweep an experiment file describes.

    Args:
        session: the session to run it on (its run store decides what is already done).
        path: the YAML file.
        dry_run: return the :class:`SweepPlan` without sending anything.
        max_cost: a budget; overrides the file's ``max_cost``.
        retry_failed: send cells that failed before again.
        progress: show a progress bar.

    Raises:
        ExperimentFileError: the file is wrong (line and field named).
        BudgetExceededError: the cells to send may cost more than the budget.
    """
    from phota_widgets.experiments.sweeps.entry import run_plan

    experiment = load_experiment(path)
    plan = plan_experiment(session, experiment, retry_failed=retry_failed)
    budget = max_cost if max_cost is not None else experiment.max_cost
    if dry_run:
        plan.check_budget(budget)
        return plan
    return run_plan(session, plan, max_cost=budget, progress=progress, checks=experiment.scorers())


def plan_experiment(
    session: SweepSession, experiment: Experiment, *, retry_failed: bool = False
) -> SweepPlan:
    """The plan of an experiment on a session; sweep errors point at the file's lines."""
    from phota_widgets.experiments.sweeps.entry import plan_sweep

    return _planned(experiment, lambda **kwargs: plan_sweep(session, **kwargs), retry_failed)


def plan_experiment_alone(experiment: Experiment) -> SweepPlan:
    """The plan of an experiment with no session or store (a first dry run): all cells to send."""
    from phota_widgets.experiments.sweeps.plan import make_plan

    def plan(**kwargs: Any) -> SweepPlan:
        kwargs.pop("retry_failed")
        return make_plan(**kwargs.pop("grid"), **kwargs)

    return _planned(experiment, plan, False)


def _planned(experiment: Experiment, planner: Callable[..., SweepPlan], retry: bool) -> SweepPlan:
    kwargs = experiment.sweep_kwargs()
    try:
        return planner(
            endpoint=experiment.endpoint,
            prompts=kwargs.pop("prompts"),
            images=kwargs.pop("images"),
            reference_image=kwargs.pop("reference_image", None),
            vars=kwargs.pop("vars"),
            repeats=kwargs.pop("repeats"),
            name=kwargs.pop("name"),
            max_cells=kwargs.pop("max_cells"),
            retry_failed=retry,
            grid={k: v for k, v in kwargs.items() if k != "checks"},
        )
    except SweepSpecError as exc:
        raise experiment.error(exc) from None


# -- helpers -----------------------------------------------------------------------------------


def _located(path: Path, line: int | None, where: str, message: str) -> str:
    at = f", line {line}" if line is not None else ""
    field_text = f", field {where}" if where else ""
    return f"{path}{at}{field_text}: {message}"


_KINDS = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping (name: value lines)",
    "model_type": "a mapping (name: value lines)",
}


def _problem(error: Any, loc: tuple[Any, ...]) -> str:
    """A shape error of the file as a sentence (the validator's words only as a last resort)."""
    rule, name = str(error["type"]), str(loc[-1]) if loc else ""
    if rule == "extra_forbidden":
        known = list(_ExperimentModel.model_fields if len(loc) == 1 else _CsvPrompts.model_fields)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return f"unknown field {name!r}{hint}; the fields are: {', '.join(known)}"
    if rule == "greater_than_equal":
        return f"{name} must be at least {error['ctx']['ge']}, not {error.get('input')!r}"
    if rule == "missing":
        return f"{name} is required"
    if rule in _KINDS:
        kind = _KINDS[rule] + (" (US dollars)" if name == "max_cost" else "")
        return f"{name} must be {kind}, not {error.get('input')!r}"
    return str(error["msg"])


def _refuse_unfilled(
    prompts: list[str | None] | None, marks: dict[tuple[Any, ...], int], source: Path
) -> None:
    """A ``{name}`` in a prompt of a file without vars is a mistake, never sent as it is."""
    for index, prompt in enumerate(prompts or []):
        try:
            names = placeholders(prompt)
        except SweepSpecError as exc:
            raise ExperimentFileError(
                _located(source, _nearest(marks, ("prompts", index)), f"prompts.{index}", str(exc))
            ) from None
        if names:
            message = (
                f"prompt {index + 1} uses {{{names[0]}}} but the file has no vars: add "
                f"vars: {{{names[0]}: [...]}}, or double the braces ({{{{{names[0]}}}}}) to "
                "send them as text"
            )
            line = _nearest(marks, ("prompts", index))
            raise ExperimentFileError(_located(source, line, f"prompts.{index}", message))


def _nearest(marks: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    for end in range(len(loc), -1, -1):
        if tuple(loc[:end]) in marks:
            return marks[tuple(loc[:end])]
    return None


def _trim_union(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop pydantic's union branch names (``list[...]``, ``str``, ...) from an error location."""
    return tuple(p for p in loc if isinstance(p, int) or ("[" not in p and p not in _TYPES))


_TYPES = frozenset({"str", "int", "float", "bool", "none", "dict", "list"})


def _yaml_path(field_name: str | None, index: int | None) -> tuple[Any, ...]:
    """Where a sweep argument lives in the file."""
    if not field_name:
        return ()
    if field_name.startswith("vars."):
        path: tuple[Any, ...] = ("vars", field_name[5:])
    elif field_name in (
        "prompts", "images", "reference_image", "repeats", "endpoint", "name", "max_cells",
    ):  # fmt: skip
        path = (field_name,)
    else:
        path = ("grid", field_name)
    return (*path, index) if index is not None else path


def _prompts(
    spec: _ExperimentModel, base: Path, marks: dict[tuple[Any, ...], int], source: Path
) -> list[str | None] | None:
    if spec.prompts is None or isinstance(spec.prompts, list):
        return spec.prompts
    if isinstance(spec.prompts, str):
        return [spec.prompts]
    table = base / spec.prompts.csv
    line = marks.get(("prompts", "csv"))
    try:
        with table.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        message = f"cannot read {table} ({exc.strerror})"
        raise ExperimentFileError(_located(source, line, "prompts.csv", message)) from None
    column = spec.prompts.column
    if not rows or column not in rows[0]:
        names = ", ".join(rows[0]) if rows else "none"
        message = f"{table} has no column {column!r} (columns: {names})"
        raise ExperimentFileError(_located(source, line, "prompts.column", message))
    return [row[column] for row in rows]


def _paths(value: Any, base: Path) -> Any:
    """Image paths relative to the experiment file (URLs kept as they are)."""
    if value is None:
        return None
    if isinstance(value, list):
        return [_paths(v, base) for v in value]
    if is_url(value):
        return value
    return str(base / Path(value).expanduser())
