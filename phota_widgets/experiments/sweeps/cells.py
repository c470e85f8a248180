"""A sweep's cells: planned (labels, parameters, skipped combinations) and answered (runs, outputs).

A planned :class:`Cell` carries what is sent; its :class:`CellInfo` is what it is in words and is
kept in the run store. Once run, a :class:`SweepCell` joins the info to its run, and every output
image has a stable id, ``f"{run_id}:{index}"`` (:func:`output_id`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phota_widgets.store import OutputRecord, RunRecord

__all__ = [
    "Cell",
    "CellInfo",
    "SkippedCell",
    "SweepCell",
    "SweepOutput",
    "count_of",
    "output_id",
    "split_output_id",
]


@dataclass(frozen=True)
class CellInfo:
    """What a cell is, in words: everything a table, a grid or a report needs (no image bytes).

    Attributes:
        key: the stable key (hash of the endpoint, parameters, input hashes and repeat).
        position: order in the plan.
        template: the prompt as written (``{name}`` placeholders unfilled).
        prompt: the prompt sent.
        vars: the var values filled into the prompt.
        settings: the swept settings' values as labels (only settings that vary).
        input: the input's label (image hashes) or None.
        repeat: the repeat number (0-based).
    """

    key: str
    position: int
    template: str | None
    prompt: str | None
    vars: Mapping[str, str]
    settings: Mapping[str, str]
    input: str | None
    repeat: int

    @property
    def variant(self) -> str:
        """A short stable label of what varies besides prompt, input and repeat."""
        parts = [f"{k}={v}" for k, v in self.settings.items()]
        parts += [f"{k}={v}" for k, v in self.vars.items()]
        return " · ".join(parts) or "(one setting)"

    def to_json(self) -> dict[str, Any]:
        """The cell as JSON-able data (kept in the run store)."""
        return {
            "template": self.template,
            "prompt": self.prompt,
            "vars": dict(self.vars),
            "settings": dict(self.settings),
            "input": self.input,
            "repeat": self.repeat,
        }

    @classmethod
    def from_json(cls, key: str, position: int, data: Mapping[str, Any]) -> CellInfo:
        """The inverse of :meth:`to_json`."""
        return cls(
            key=key,
            position=position,
            template=data.get("template"),
            prompt=data.get("prompt"),
            vars=dict(data.get("vars") or {}),
            settings=dict(data.get("settings") or {}),
            input=data.get("input"),
            repeat=int(data.get("repeat", 0)),
        )


@dataclass(frozen=True)
class Cell:
    """One planned call: its labels and the parameters to send (input images encoded once)."""

    info: CellInfo
    params: Mapping[str, Any]

    @property
    def key(self) -> str:
        """The cell's stable key."""
        return self.info.key


@dataclass(frozen=True)
class SkippedCell:
    """A combination that is never sent, and why."""

    settings: Mapping[str, str]
    reason: str
    cells: int

    def __str__(self) -> str:
        what = " · ".join(f"{k}={v}" for k, v in self.settings.items()) or "the fixed settings"
        return f"{what}: {self.reason} ({count_of(self.cells, 'cell')})"


def output_id(run_id: str, index: int) -> str:
    """The stable id of an output: ``<run_id>:<index>``."""
    return f"{run_id}:{index}"


def split_output_id(value: str) -> tuple[str, int]:
    """The run id and index of an output id.

    Raises:
        KeyError: the text is not an output id.
    """
    run_id, _, index = value.rpartition(":")
    if not run_id or not index.isdigit():
        raise KeyError(f"not an output id (expected '<run_id>:<index>'): {value!r}")
    return run_id, int(index)


@dataclass(frozen=True)
class SweepCell:
    """A cell of a finished (or interrupted) sweep: its labels, its run and outputs.

    Attributes:
        info: the cell's labels (prompt, settings, vars, input, repeat, key).
        run: the run that answered it, if one was recorded.
        error: why it failed (the run's error, or one raised before any run).
    """

    info: CellInfo
    run: RunRecord | None
    error: str | None

    @property
    def status(self) -> str:
        """``succeeded``, ``failed``, ``submitted``, ``cancelled``, ``running`` or ``pending``."""
        if self.run is not None:
            return self.run.status
        return "failed" if self.error else "pending"

    @property
    def outputs(self) -> tuple[OutputRecord, ...]:
        """The cell's stored output images."""
        return self.run.outputs if self.run is not None else ()


@dataclass(frozen=True)
class SweepOutput:
    """One output image of a sweep, with its cell."""

    output_id: str
    cell: SweepCell
    record: OutputRecord

    @property
    def path(self) -> Path:
        """The full image on disk."""
        return self.record.path


def count_of(n: int, noun: str) -> str:
    """``1 call``, ``2 calls``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
