"""Validation problems in the user's words: one sentence per rule, the field kept for code.

``RequestValidationError`` is what a refused request raises (before anything is sent): its text
is sentences a person understands ("Write a prompt first."), and its ``fields`` / ``problems``
attributes name the request fields and the validator's own wording for code that needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from phota_widgets.api.errors import InvalidRequestError

PHOTO_NOUNS = {
    "image": "a photo to enhance",
    "images": "at least one photo to edit",
    "input_image": "the photo to remix",
    "reference_image": "a reference photo (the look to apply)",
    "image_urls": "the photos to train the profile from",
}
"""What each image field asks the user to choose."""

FIELD_NAMES = {
    "prompt": "the prompt",
    "num_output_images": "the number of images",
    "aspect_ratio": "the aspect ratio",
    "resolution": "the resolution",
    "base_model": "the model",
    "quality": "the quality",
    "output_format": "the file format",
    "profile_ids": "the profiles",
    "training_tier": "the training tier",
}
"""How a field is named in a sentence."""


@dataclass(frozen=True)
class FieldProblem:
    """One broken rule: the field (empty for the whole request), the rule, and both wordings.

    Attributes:
        field: the request field, dotted for nested ones (``images.2``), or ``""``.
        rule: the validator's error type (``missing``, ``string_too_short``, ...).
        detail: the validator's own message.
        sentence: the same problem in the user's words.
    """

    field: str
    rule: str
    detail: str
    sentence: str


class RequestValidationError(InvalidRequestError):
    """A request refused before sending, told in sentences; nothing was spent.

    Attributes:
        endpoint: what the request was for.
        problems: every broken rule (:class:`FieldProblem`), field names included.
        fields: the fields with a problem, in order (``""`` for the request as a whole).
    """

    def __init__(self, endpoint: str, problems: list[FieldProblem]) -> None:
        super().__init__(" ".join(p.sentence for p in problems) or "The request is not valid.")
        self.endpoint = endpoint
        self.problems = problems
        self.fields = [p.field for p in problems]


def explain(endpoint: str, exc: ValidationError) -> RequestValidationError:
    """The sentences for every problem pydantic found in an ``endpoint`` request."""
    problems = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"])
        detail = str(err["msg"])
        problems.append(
            FieldProblem(field, str(err["type"]), detail, sentence(endpoint, field, err))
        )
    return RequestValidationError(endpoint, _unique(problems))


def sentence(endpoint: str, field: str, err: Any) -> str:
    """One problem as a sentence a person understands."""
    rule, detail = str(err["type"]), str(err["msg"]).removeprefix("Value error, ")
    top = field.split(".", 1)[0]
    ctx = err.get("ctx") or {}
    if top == "prompt" and rule in {"missing", "string_too_short"}:
        return "Write a prompt first."
    if top in PHOTO_NOUNS:
        if rule in {"missing", "too_short"}:
            return f"Choose {PHOTO_NOUNS[top]}."
        if rule == "too_long":
            return f"Choose at most {ctx.get('max_length', 'fewer')} photos."
        if "data:" in detail:
            return "Use the photo itself or a public http(s) link, not a data: address."
    if rule == "extra_forbidden":
        return f"{endpoint.capitalize()} has no '{field}' setting; remove it."
    name = FIELD_NAMES.get(top, f"'{field}'" if field else "")
    if rule in {"enum", "literal_error"} and "expected" in ctx:
        return f"Choose {name} from: {_choices(str(ctx['expected']))}."
    if rule in {"less_than_equal", "greater_than_equal", "less_than", "greater_than"}:
        bound = ctx.get("le", ctx.get("ge", ctx.get("lt", ctx.get("gt"))))
        limit = "at most" if rule.startswith("less") else "at least"
        return f"Set {name} to {limit} {bound}."
    if rule == "missing":
        return f"Set {name}; it is required."
    text = detail[:1].upper() + detail[1:]
    text = text if text.endswith(".") else text + "."
    return f"{name[:1].upper() + name[1:]}: {text}" if name else text


def _choices(expected: str) -> str:
    return expected.replace("'", "")


def _unique(problems: list[FieldProblem]) -> list[FieldProblem]:
    """One sentence once (``missing`` and ``too_short`` of one field read the same)."""
    seen: set[str] = set()
    kept = []
    for problem in problems:
        if problem.sentence not in seen:
            seen.add(problem.sentence)
            kept.append(problem)
    return kept
