"""The axes of a sweep, checked before anything is planned: prompts, vars, inputs and settings.

A value that can never be valid (an unknown aspect ratio, an empty prompt, a setting the endpoint
does not take) is a :class:`SweepSpecError` naming it. Values that are only invalid together (a
resolution a model lacks) are found later, per combination, and skipped by the plan.
"""

from __future__ import annotations

import string
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from phota_widgets.api.errors import InvalidRequestError
from phota_widgets.api.images import WireImage, to_wire
from phota_widgets.api.messages import sentence
from phota_widgets.api.models import (
    ENDPOINTS,
    MAX_EDIT_IMAGES,
    REQUEST_MODELS,
    UNSUPPORTED_OPTION,
)

SETTINGS: tuple[str, ...] = (
    "aspect_ratio",
    "resolution",
    "base_model",
    "quality",
    "num_output_images",
    "output_format",
    "profile_ids",
)
"""Request parameters a sweep can vary (or fix)."""

PROMPT_OPTIONAL = frozenset({"enhance", "remix"})
INPUT_FIELD: dict[str, str] = {"edit": "images", "enhance": "image", "remix": "input_image"}
"""The request field each endpoint's ``images=`` axis fills."""

_PLACEHOLDER_IMAGE = "aW1hZ2U="
"""Stands in for an image when only the other fields of a request are checked."""


class SweepSpecError(InvalidRequestError):
    """A sweep's description is wrong; nothing was planned or sent.

    Attributes:
        field: the argument at fault (``prompts``, ``vars.animal``, ``aspect_ratio``, ...).
        index: position of the bad value in that argument's list, if it is one.
    """

    def __init__(self, message: str, field: str | None = None, index: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.index = index


@dataclass(frozen=True)
class Input:
    """One value of the input axis: the images sent, and a short stable label (their hashes)."""

    images: tuple[WireImage, ...]
    label: str

    def wire_value(self, endpoint: str) -> Any:
        """The value of the endpoint's input field: a list for edit, one image otherwise."""
        return list(self.images) if endpoint == "edit" else self.images[0]


def check_endpoint(endpoint: str) -> None:
    """Refuse an unknown endpoint."""
    if endpoint not in ENDPOINTS:
        raise SweepSpecError(
            f"unknown endpoint {endpoint!r}: choose one of {', '.join(ENDPOINTS)}", "endpoint"
        )


def as_values(name: str, value: Any) -> list[Any]:
    """An argument as its list of values: a list is an axis, anything else one fixed value.

    ``profile_ids`` is a list itself: a list of lists (or of None) is its axis.
    """
    if name == "profile_ids":
        if isinstance(value, (list, tuple)) and any(
            v is None or isinstance(v, (list, tuple)) for v in value
        ):
            return [None if v is None else list(v) for v in value]
        return [None if value is None else list(value)]
    if isinstance(value, (list, tuple)):
        if not value:
            raise SweepSpecError(f"{name} is an empty list: give at least one value", name)
        return list(value)
    return [value]


def check_settings(endpoint: str, grid: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Each setting's values, every one checked on its own against the endpoint's model."""
    model = REQUEST_MODELS[endpoint]
    values: dict[str, list[Any]] = {}
    for name, given in grid.items():
        if name not in SETTINGS:
            raise SweepSpecError(
                f"sweep() takes no parameter {name!r}; settings it can vary: {', '.join(SETTINGS)}",
                name,
            )
        if name not in model.model_fields:
            raise SweepSpecError(f"{endpoint} does not take {name}", name)
        items = as_values(name, given)
        seen: set[str] = set()
        for index, value in enumerate(items):
            _check_value(endpoint, name, value, index)
            label = value_label(value)
            if label in seen:
                raise SweepSpecError(f"{name} lists {label} twice", name, index)
            seen.add(label)
        values[name] = items
    return values


def _check_value(endpoint: str, name: str, value: Any, index: int) -> None:
    if value is None and name in ("quality", "profile_ids"):
        return
    body = {**base_body(endpoint), name: value}
    try:
        REQUEST_MODELS[endpoint].model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            if error["type"] != UNSUPPORTED_OPTION and error["loc"][:1] == (name,):
                said = sentence(endpoint, name, error)
                raise SweepSpecError(
                    f"{name}={value_label(value)} is not valid: {said}", name, index
                ) from None


def base_body(endpoint: str) -> dict[str, Any]:
    """The smallest valid body of an endpoint, for checking the other fields alone."""
    body: dict[str, Any] = {}
    if endpoint in ("generate", "edit"):
        body["prompt"] = "x"
    if endpoint == "edit":
        body["images"] = [_PLACEHOLDER_IMAGE]
    elif endpoint == "enhance":
        body["image"] = _PLACEHOLDER_IMAGE
    elif endpoint == "remix":
        body["input_image"] = body["reference_image"] = _PLACEHOLDER_IMAGE
    return body


def combination_error(endpoint: str, settings: Mapping[str, Any]) -> str | None:
    """Why these settings cannot go together (the API's 400 message), or None if they can."""
    body = {**base_body(endpoint), **{k: v for k, v in settings.items() if v is not None}}
    try:
        REQUEST_MODELS[endpoint].model_validate(body)
    except ValidationError as exc:
        unsupported = [e["msg"] for e in exc.errors() if e["type"] == UNSUPPORTED_OPTION]
        if unsupported:
            return "; ".join(unsupported)
        raise SweepSpecError(f"{endpoint} refuses these settings: {exc}") from None
    return None


def check_prompts(endpoint: str, prompts: Any) -> list[str | None]:
    """The prompts axis; generate and edit need non-empty prompts."""
    if prompts is None:
        if endpoint not in PROMPT_OPTIONAL:
            raise SweepSpecError(f"{endpoint} needs prompts=[...]", "prompts")
        return [None]
    items = [prompts] if isinstance(prompts, str) else list(prompts)
    if not items:
        raise SweepSpecError("prompts is an empty list: give at least one prompt", "prompts")
    seen: set[str | None] = set()
    for index, prompt in enumerate(items):
        if prompt is None and endpoint in PROMPT_OPTIONAL:
            continue
        if not isinstance(prompt, str) or not prompt.strip():
            raise SweepSpecError(
                f"prompt {index + 1} is empty: every {endpoint} prompt needs text",
                "prompts",
                index,
            )
        if prompt in seen:
            raise SweepSpecError(f"prompt {index + 1} repeats an earlier prompt", "prompts", index)
        seen.add(prompt)
    return items


def placeholders(prompt: str | None) -> list[str]:
    """The ``{name}`` placeholders of a prompt, in order."""
    if not prompt:
        return []
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(prompt) if name is not None]
    except ValueError as exc:
        raise SweepSpecError(f"prompt {prompt!r} has unbalanced braces: {exc}", "prompts") from None
    return list(dict.fromkeys(names))


def check_vars(
    prompts: Sequence[str | None], vars: Mapping[str, Any] | None
) -> dict[str, list[str]]:
    """The vars axes: each var's values as strings; every placeholder defined, every var used."""
    values: dict[str, list[str]] = {}
    for name, given in (vars or {}).items():
        if name in SETTINGS or name in ("prompt", "input", "repeat", "images", "reference_image"):
            raise SweepSpecError(
                f"var {name!r} has the name of a sweep column; rename it", f"vars.{name}"
            )
        if not str(name).isidentifier():
            raise SweepSpecError(f"var name {name!r} is not a plain identifier", f"vars.{name}")
        items = as_values(name, given)
        if any(isinstance(v, (dict, list, tuple)) or v is None for v in items):
            raise SweepSpecError(f"var {name!r} takes plain text values", f"vars.{name}")
        values[name] = [str(v) for v in items]
    used: set[str] = set()
    for index, prompt in enumerate(prompts):
        names = placeholders(prompt)
        if names and not vars:  # without vars they are sent as written: likely a slip
            warnings.warn(
                f"prompt {index + 1} has {{{names[0]}}} but no vars were given, so it is sent "
                f"as written; pass vars={{{names[0]!r}: [...]}} to fill it, or double the "
                f"braces ({{{{{names[0]}}}}}) to send braces as text without this warning",
                UserWarning,
                stacklevel=5,
            )
            continue
        for name in names:
            if name not in values:
                raise SweepSpecError(
                    f"prompt {index + 1} uses {{{name}}}, which vars does not define",
                    "prompts",
                    index,
                )
            used.add(name)
    unused = [name for name in values if name not in used]
    if unused:
        raise SweepSpecError(f"var {unused[0]!r} is used by no prompt", f"vars.{unused[0]}")
    return values


def check_inputs(
    endpoint: str, images: Any, reference_image: Any
) -> tuple[list[Input], list[Input]]:
    """The input axis (and remix's reference axis), each image encoded once and hashed."""
    if endpoint == "generate":
        if images is not None or reference_image is not None:
            raise SweepSpecError("generate takes no input images", "images")
        return [], []
    if images is None:
        raise SweepSpecError(f"{endpoint} needs images=[...]", "images")
    if reference_image is not None and endpoint != "remix":
        raise SweepSpecError(f"{endpoint} takes no reference_image", "reference_image")
    if endpoint == "remix" and reference_image is None:
        raise SweepSpecError("remix needs reference_image=...", "reference_image")
    inputs = _inputs(endpoint, images, "images")
    references = _inputs(endpoint, reference_image, "reference_image") if reference_image else []
    return inputs, references


def _inputs(endpoint: str, given: Any, field: str) -> list[Input]:
    items = list(given) if isinstance(given, (list, tuple)) else [given]
    if not items:
        raise SweepSpecError(f"{field} is an empty list", field)
    out: list[Input] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        group = list(item) if isinstance(item, (list, tuple)) else [item]
        if len(group) != 1 and (endpoint != "edit" or field != "images"):
            raise SweepSpecError(
                f"{field}[{index}]: {endpoint} takes one image per input", field, index
            )
        if not 1 <= len(group) <= MAX_EDIT_IMAGES:
            raise SweepSpecError(
                f"{field}[{index}]: edit takes 1 to {MAX_EDIT_IMAGES} images, got {len(group)}",
                field,
                index,
            )
        try:
            wires = tuple(to_wire(img, what=f"{field}[{index}]") for img in group)
        except InvalidRequestError as exc:
            raise SweepSpecError(str(exc), field, index) from None
        label = "+".join(w.sha256[:12] if w.sha256 else w.value for w in wires)
        if label in seen:
            raise SweepSpecError(f"{field}[{index}] repeats an earlier input", field, index)
        seen.add(label)
        out.append(Input(wires, label))
    return out


def value_label(value: Any) -> str:
    """A short, stable text for a setting's value (``none`` for None, lists joined by commas)."""
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return ",".join(value_label(v) for v in value) or "none"
    return str(getattr(value, "value", value))
