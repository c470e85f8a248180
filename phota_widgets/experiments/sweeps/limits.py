"""How big a sweep may be: its cells are counted from the axes' lengths before any is built."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from phota_widgets.experiments.sweeps.axes import SweepSpecError, placeholders

DEFAULT_MAX_CELLS = 200_000
"""Most cells a sweep may have unless ``max_cells=`` allows more (each cell is a paid call)."""


def count_cells(
    prompts: Sequence[str | None],
    var_values: Mapping[str, Sequence[str]],
    inputs: int,
    references: int,
    swept: Mapping[str, Sequence[object]],
    repeats: int,
) -> int:
    """Cells the axes cross into (combinations the endpoint refuses included): nothing built."""
    fills = 0
    for template in prompts:
        used = [n for n in placeholders(template) if n in var_values] if var_values else []
        fills += math.prod(len(var_values[n]) for n in used)
    settings = math.prod(len(values) for values in swept.values())
    return fills * max(1, inputs) * max(1, references) * settings * repeats


def check_cell_count(cells: int, max_cells: int) -> None:
    """Refuse a sweep of more than ``max_cells`` cells, saying how many and what to change.

    Raises:
        SweepSpecError: too many cells (or a ``max_cells`` that is not a whole number >= 1).
    """
    if not isinstance(max_cells, int) or isinstance(max_cells, bool) or max_cells < 1:
        raise SweepSpecError(f"max_cells must be a whole number >= 1, got {max_cells!r}")
    if cells > max_cells:
        raise SweepSpecError(
            f"this sweep crosses into {cells:,} cells (prompts x vars x inputs x settings x "
            f"repeats), more than max_cells={max_cells:,}; nothing was planned or sent. Sweep "
            "fewer values, or pass a larger max_cells= if you mean it",
            "max_cells",
        )
