"""Checks as written (``"aspect_ratio"``, ``{"max_cost": 0.1}``, ``{"sharpness": {"min": 50}}``,
a function, a scorer) turned into scorers, with errors that say which check and which field."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from phota_widgets.api.errors import InvalidRequestError
from phota_widgets.experiments.scoring.base import BaseScorer, CallableScorer, Scorer
from phota_widgets.experiments.scoring.checks import (
    AspectRatio,
    Count,
    MaxCost,
    MaxLatency,
    ProfilePresent,
    ResolutionCheck,
)
from phota_widgets.experiments.scoring.metrics import (
    ChangedFraction,
    Colourfulness,
    Distinct,
    Exposure,
    Sharpness,
)
from phota_widgets.experiments.scoring.rubric import VlmRubric

BUILTINS: dict[str, type[BaseScorer]] = {
    cls.kind: cls
    for cls in (
        AspectRatio,
        ResolutionCheck,
        Count,
        MaxCost,
        MaxLatency,
        ProfilePresent,
        ChangedFraction,
        Sharpness,
        Exposure,
        Colourfulness,
        Distinct,
        VlmRubric,
    )
}
BUILTINS["colorfulness"] = Colourfulness

SCALAR_PARAM = {
    "aspect_ratio": "tolerance",
    "resolution": "tolerance",
    "max_cost": "limit",
    "max_latency": "limit",
    "sharpness": "min",
    "colourfulness": "min",
    "colorfulness": "min",
    "exposure": "max",
    "distinct": "min_distance",
}
"""What a bare value means for each built-in (``max_cost: 0.1`` is ``{limit: 0.1}``)."""

CheckSpec = str | Mapping[str, Any] | Callable[..., Any] | Scorer


class CheckSpecError(InvalidRequestError):
    """A check that cannot be used; ``index`` and ``field`` say where (for experiment files)."""

    def __init__(self, message: str, index: int, field: str | None = None) -> None:
        super().__init__(message)
        self.index = index
        self.field = field
        self.reason = message.split(": ", 1)[1] if ": " in message else message


def resolve_checks(checks: Sequence[CheckSpec] | None) -> list[Scorer]:
    """The scorers of a list of checks, in order.

    Raises:
        CheckSpecError: an unknown check, a bad parameter, or two checks with the same name.
    """
    if checks is None:
        return []
    if isinstance(checks, str | Mapping) or callable(checks):
        checks = [checks]
    scorers: list[Scorer] = []
    seen: dict[str, int] = {}
    for index, spec in enumerate(checks):
        scorer = _one(spec, index)
        if scorer.name in seen:
            raise CheckSpecError(
                f"checks[{index}]: a second check named {scorer.name!r} (as checks"
                f"[{seen[scorer.name]}]); give one another name: {{name: ...}}",
                index,
            )
        seen[scorer.name] = index
        scorers.append(scorer)
    return scorers


def _one(spec: Any, index: int) -> Scorer:
    if isinstance(spec, BaseScorer | CallableScorer):
        return spec
    if isinstance(spec, str):
        return _build(spec, {}, index, named=False)
    if isinstance(spec, Mapping):
        if len(spec) != 1:
            raise CheckSpecError(
                f"checks[{index}]: one check per item (e.g. max_cost: 0.1), got {sorted(spec)}",
                index,
            )
        [(kind, value)] = spec.items()
        if isinstance(value, Mapping):
            params = dict(value)
        elif value is None:
            params = {}
        elif str(kind) in SCALAR_PARAM:
            params = {SCALAR_PARAM[str(kind)]: value}
        else:
            raise CheckSpecError(
                f"checks[{index}].{kind}: give its parameters as a mapping ({kind}: {{...}})",
                index,
                str(kind),
            )
        return _build(str(kind), params, index)
    if isinstance(spec, Scorer):
        return spec
    if callable(spec):
        return CallableScorer(spec)
    raise CheckSpecError(
        f"checks[{index}]: a check is a name, a mapping or a function, got {type(spec).__name__}",
        index,
    )


def _build(kind: str, params: dict[str, Any], index: int, *, named: bool = True) -> Scorer:
    cls = BUILTINS.get(kind)
    if cls is None:
        known = ", ".join(sorted(BUILTINS))
        message = f"checks[{index}]: unknown check {kind!r} (known: {known})"
        raise CheckSpecError(message, index, kind if named else None)
    try:
        return cls(**params)
    except TypeError as exc:
        raise CheckSpecError(f"checks[{index}].{kind}: {_type_error(exc)}", index, kind) from None
    except ValueError as exc:
        raise CheckSpecError(f"checks[{index}].{kind}: {exc}", index, kind) from None


def _type_error(exc: TypeError) -> str:
    text = str(exc)
    if "unexpected keyword argument" in text:
        return "unknown parameter " + text.rsplit("argument", 1)[-1].strip()
    if "missing" in text and "required" in text:
        return "missing parameter " + text.rsplit(":", 1)[-1].strip()
    return text
