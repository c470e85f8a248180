"""What a scorer is: a name, a version, parameters, and ``score(output) -> Score``.

A scorer reads a :class:`ScoredOutput` (the image, decoded only when asked, and what the run
knew: the filled prompt, vars, settings, inputs, cost, latency, known subjects) and returns a
:class:`Score`: a number (a metric), a verdict (a check), or both. Any Python callable that
returns a bool or a number is a scorer too (:class:`CallableScorer`).
"""

from __future__ import annotations

import hashlib
import inspect
import io
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from PIL import Image, ImageOps


@dataclass(frozen=True)
class Score:
    """What a scorer says about one output.

    Attributes:
        value: a number (a metric's value), or None.
        passed: the verdict of a check, or None (a metric without a threshold, or not
            applicable to this output).
        detail: why, in words.
        tokens: model tokens used (model-graded scorers).
        cost: model cost in US dollars (model-graded scorers).
        error: the scorer could not judge (a model's unreadable answer, an endpoint down):
            counted as failed, and computed anew when the output is scored again.
    """

    value: float | None = None
    passed: bool | None = None
    detail: str = ""
    tokens: int | None = None
    cost: float | None = None
    error: bool = False


@dataclass
class ScoredOutput:
    """One output as a scorer sees it; the image is decoded on first use.

    Attributes:
        output_id: ``<run_id>:<index>``.
        sha256: the image's content hash.
        path: the image file.
        width: stored width in pixels.
        height: stored height in pixels.
        prompt: the filled prompt that was sent (None for endpoints without one).
        template: the prompt as written.
        vars: the var values of its cell.
        settings: the run's parameters as sent (inputs as ``sha256:`` references).
        input_paths: the input images on disk (edit, enhance, remix), in order.
        cost: the run's estimated cost in US dollars.
        latency: the run's time in seconds.
        known_subjects: the profile ids the server recognised, with their counts.
        images_returned: how many images the run returned.
        group: (output id, content hash, path) of each output of its cell and its repeats
            (itself included).
        variant: its cell's variant label.
    """

    output_id: str
    sha256: str
    path: Path
    width: int
    height: int
    prompt: str | None = None
    template: str | None = None
    vars: Mapping[str, str] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    input_paths: Sequence[Path] = ()
    cost: float | None = None
    latency: float | None = None
    known_subjects: Mapping[str, int] = field(default_factory=dict)
    images_returned: int = 1
    group: Sequence[tuple[str, str, Path]] = ()
    variant: str = ""

    @cached_property
    def image(self) -> Image.Image:
        """The image, decoded (once) as RGB."""
        return open_rgb(self.path)


def open_rgb(path: Path, max_px: int | None = None) -> Image.Image:
    """An image file as RGB (EXIF-rotated), at most ``max_px`` on its long side if given."""
    opened = Image.open(io.BytesIO(Path(path).read_bytes()))
    if max_px is not None:
        opened.draft("RGB", (max_px, max_px))
    img = ImageOps.exif_transpose(opened).convert("RGB")
    if max_px is not None:
        img.thumbnail((max_px, max_px), Image.Resampling.BILINEAR)
    return img


@runtime_checkable
class Scorer(Protocol):
    """The scorer protocol.

    Attributes:
        name: the column name (``check.<name>``, ``score.<name>``).
        version: changes when the way it scores changes (a new version computes anew).
        params: its parameters (JSON-able); new parameters compute anew.
        per_group: whether it compares an output with its cell's other outputs and repeats
            (scored once a sweep has ended, not as each output arrives).
    """

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def params(self) -> Mapping[str, Any]: ...

    @property
    def per_group(self) -> bool: ...

    def context(self, output: ScoredOutput) -> Mapping[str, Any]:
        """What it reads besides the image (part of the cache key)."""
        ...

    def score(self, output: ScoredOutput) -> Score:
        """Score one output."""
        ...


class BaseScorer(ABC):
    """Shared parts of the built-in scorers: name, version, parameters, an empty context; each
    built-in gives its own :meth:`score`."""

    kind: str = ""
    revision: int = 1
    per_group: bool = False
    waits_on_network: bool = False

    def __init__(self, name: str | None = None, **params: Any) -> None:
        self.name = name or self.kind
        self.params: dict[str, Any] = params
        self.version = f"{self.kind}/{self.revision}"

    def context(self, output: ScoredOutput) -> Mapping[str, Any]:
        """Built-ins that read only the image have no context."""
        return {}

    @abstractmethod
    def score(self, output: ScoredOutput) -> Score:
        """Score one output."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return (
            f"{self.kind}({args})" if self.name == self.kind else f"{self.name}={self.kind}({args})"
        )


class CallableScorer:
    """A plain function as a scorer: a bool is a verdict, a number a value, a Score a Score.

    Its version is a hash of the function's source, so editing the function scores anew.
    """

    per_group = False

    def __init__(self, function: Callable[[ScoredOutput], Any], name: str | None = None) -> None:
        self.function = function
        self.name: str = name or str(getattr(function, "__name__", "check"))
        self.params: dict[str, Any] = {}
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            source = getattr(function, "__qualname__", self.name)
        self.version = "python/" + hashlib.sha256(source.encode()).hexdigest()[:12]

    def context(self, output: ScoredOutput) -> Mapping[str, Any]:
        """A function may read anything of the output: key it by the output itself."""
        return {"output_id": output.output_id}

    def score(self, output: ScoredOutput) -> Score:
        """Call the function and read its answer."""
        answer = self.function(output)
        if isinstance(answer, Score):
            return answer
        if isinstance(answer, bool):
            return Score(passed=answer, detail="" if answer else f"{self.name} returned False")
        if isinstance(answer, int | float):
            return Score(value=float(answer))
        raise TypeError(
            f"check {self.name!r} returned {type(answer).__name__}; return a bool, a number "
            "or a Score"
        )

    def __repr__(self) -> str:
        return f"{self.name}(python function)"


def stable_hash(value: Any) -> str:
    """A short hash of JSON-able data (keys sorted)."""
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def output_hash(scorer: Scorer, output: ScoredOutput) -> str:
    """The image's hash, mixed with the context the scorer reads (none: the image's hash)."""
    context = scorer.context(output)
    if not context:
        return output.sha256
    return hashlib.sha256(f"{output.sha256}|{stable_hash(context)}".encode()).hexdigest()


def within(value: float, low: float | None, high: float | None) -> bool | None:
    """Whether ``value`` lies in [low, high] (None when neither bound is given)."""
    if low is None and high is None:
        return None
    return (low is None or value >= low) and (high is None or value <= high)
