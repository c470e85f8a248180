"""Sweep plans: prompts x inputs x settings x vars x repeats, crossed into cells with stable keys.

A cell's key is a hash of what would be sent (the endpoint, its parameters with inputs as content
hashes) and the repeat number, so planning the same sweep again gives the same keys and a run
store can tell which cells are already paid for.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from phota_widgets.api.errors import BudgetExceededError
from phota_widgets.api.images import WireImage
from phota_widgets.api.prices import DEFAULT_PRICE_TABLE, PriceTable
from phota_widgets.experiments.sweeps.axes import (
    INPUT_FIELD,
    Input,
    SweepSpecError,
    check_endpoint,
    check_inputs,
    check_prompts,
    check_settings,
    check_vars,
    combination_error,
    placeholders,
    value_label,
)
from phota_widgets.experiments.sweeps.cells import Cell, CellInfo, SkippedCell, count_of
from phota_widgets.experiments.sweeps.limits import DEFAULT_MAX_CELLS, check_cell_count, count_cells

_NOT_PRICED = frozenset({"prompt", "images", "image", "input_image", "reference_image"})
DEFAULT_SECONDS_PER_CALL = 20.0
"""Time of one call when the run store has no finished run of the endpoint to go by."""


@dataclass
class SweepPlan:
    """Cells, calls, images and estimated cost of a sweep, before any money is spent.

    Attributes:
        endpoint: the endpoint every cell calls.
        cells: the cells to send, in order.
        skipped: combinations that are not sent, with reasons.
        axes: each swept setting's values (labels), in the order given, then each var's.
        fixed: the settings every cell shares.
        repeats: calls per combination.
        done: keys of cells whose call already succeeded in the run store (not paid again).
        failed: keys of cells whose last call failed (re-run with ``retry_failed=True``).
        waiting: keys of cells submitted earlier and not yet collected (not sent again).
        concurrency: calls in flight at once.
        seconds_per_call: the time estimate of one call.
        name: an optional name of the sweep.
    """

    endpoint: str
    cells: list[Cell]
    skipped: list[SkippedCell]
    axes: dict[str, list[str]]
    fixed: dict[str, str]
    repeats: int
    prices: PriceTable = field(default=DEFAULT_PRICE_TABLE, repr=False)
    done: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()
    waiting: frozenset[str] = frozenset()
    concurrency: int = 4
    seconds_per_call: float = DEFAULT_SECONDS_PER_CALL
    name: str | None = None
    retry_failed: bool = False
    _costs: dict[str, float] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def sweep_id(self) -> str:
        """A stable id: the same cells always make the same sweep."""
        digest = hashlib.sha256(self.endpoint.encode())
        for cell in self.cells:
            digest.update(cell.key.encode())
        return "sw_" + digest.hexdigest()[:12]

    @property
    def calls(self) -> int:
        """Calls the whole sweep makes (cells)."""
        return len(self.cells)

    @property
    def images(self) -> int:
        """Output images the whole sweep asks for."""
        return sum(int(c.params.get("num_output_images", 1)) for c in self.cells)

    @property
    def cost(self) -> float:
        """Upper-bound cost of every cell, in US dollars (from the price table)."""
        return round(sum(self._cell_costs().values()), 4)

    def to_run(self) -> list[Cell]:
        """The cells a run would send now (not done, not waiting; failed only when retried)."""
        skip = self.done | self.waiting | (frozenset() if self.retry_failed else self.failed)
        return [c for c in self.cells if c.key not in skip]

    @property
    def cost_to_run(self) -> float:
        """Upper-bound cost of the cells still to send."""
        costs = self._cell_costs()
        return round(sum(costs[c.key] for c in self.to_run()), 4)

    @property
    def seconds(self) -> float:
        """Estimated time of the cells still to send, at the plan's concurrency."""
        waves = math.ceil(len(self.to_run()) / max(1, self.concurrency))
        return waves * self.seconds_per_call

    def check_budget(self, max_cost: float | None) -> None:
        """Raise :class:`BudgetExceededError` if the cells to send may cost over ``max_cost``."""
        if max_cost is None:
            return
        if max_cost < 0:
            raise ValueError(f"max_cost must be >= 0, got {max_cost}")
        cost = self.cost_to_run
        if cost > max_cost + 1e-9:
            raise BudgetExceededError(
                f"this sweep may cost up to ${cost:.2f} ({count_of(len(self.to_run()), 'call')}), "
                "more than "
                f"max_cost=${max_cost:.2f}; nothing was sent",
                estimate=cost,
                budget=max_cost,
            )

    def _cell_costs(self) -> dict[str, float]:
        if self._costs is None:
            cache: dict[tuple[str, bool], float] = {}
            costs: dict[str, float] = {}
            for cell in self.cells:
                prompt = cell.params.get("prompt")
                settings = {k: v for k, v in cell.params.items() if k not in _NOT_PRICED}
                probe = (json.dumps(settings, sort_keys=True, default=str), "[[" in (prompt or ""))
                if probe not in cache:
                    cache[probe] = self.prices.estimate(self.endpoint, cell.params)
                costs[cell.key] = cache[probe]
            self._costs = costs
        return self._costs

    # -- display -------------------------------------------------------------------------------

    def summary(self) -> list[tuple[str, str]]:
        """The plan's figures as (label, value) rows."""
        rows = [
            ("endpoint", self.endpoint),
            ("cells (calls)", str(self.calls)),
            ("images", str(self.images)),
            ("estimated cost", f"${self.cost:.2f} (upper bound)"),
        ]
        if self.done or self.failed or self.waiting:
            rows.append(("already done", str(len(self.done))))
            rows.append(("failed earlier", str(len(self.failed))))
            if self.waiting:
                rows.append(("submitted, to collect", str(len(self.waiting))))
            rows.append(("to send now", f"{len(self.to_run())} (${self.cost_to_run:.2f})"))
        rows.append(
            ("estimated time", f"{_duration(self.seconds)} at concurrency {self.concurrency}")
        )
        for name, values in self.axes.items():
            rows.append((f"axis {name}", ", ".join(values)))
        for name, value in self.fixed.items():
            rows.append((f"fixed {name}", value))
        rows.append(("skipped", str(sum(s.cells for s in self.skipped))))
        return rows

    def __repr__(self) -> str:
        width = max(len(label) for label, _ in self.summary())
        lines = [f"SweepPlan {self.sweep_id}" + (f" ({self.name})" if self.name else "")]
        lines += [f"  {label:<{width}}  {value}" for label, value in self.summary()]
        lines += [f"    skipped {skip}" for skip in self.skipped]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        # compact rows set inline: a notebook's (or Voila's) table style would double their height
        cell = "padding:1px 12px 1px 0;line-height:1.35;border:none"
        rows = "".join(
            f'<tr><th style="text-align:left;font-weight:600;{cell}">{escape(label)}</th>'
            f'<td style="text-align:left;{cell}">{escape(value)}</td></tr>'
            for label, value in self.summary()
        )
        skipped = "".join(f"<li>{escape(str(s))}</li>" for s in self.skipped)
        skipped_html = f"<div>Skipped, never sent:<ul>{skipped}</ul></div>" if skipped else ""
        title = escape(f"Sweep plan {self.sweep_id}" + (f": {self.name}" if self.name else ""))
        return (
            f'<div class="phota-sweep-plan"><div style="font-weight:600">{title}</div>'
            f'<table style="font-size:13px">{rows}</table>{skipped_html}</div>'
        )


def make_plan(
    endpoint: str,
    *,
    prompts: Any = None,
    images: Any = None,
    reference_image: Any = None,
    vars: Mapping[str, Any] | None = None,
    repeats: int = 1,
    defaults: Mapping[str, Any] | None = None,
    prices: PriceTable = DEFAULT_PRICE_TABLE,
    name: str | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
    **grid: Any,
) -> SweepPlan:
    """Check a sweep's description and cross its axes into cells.

    Args:
        endpoint: ``generate``, ``edit``, ``enhance`` or ``remix``.
        prompts: the prompts (``{name}`` placeholders filled from ``vars``).
        images: the inputs (edit: each an image or a list of images; enhance/remix: images).
        reference_image: remix's reference images (a list is an axis).
        vars: each var's values; every one an axis.
        repeats: calls per combination.
        defaults: settings every cell has unless the grid sets them (the session's defaults).
        prices: the price table for estimates.
        name: a name for the sweep.
        max_cells: refuse a sweep of more cells than this (counted before any is built).
        **grid: settings; a list is an axis, a scalar a fixed setting.

    Raises:
        SweepSpecError: a value that is never valid, or too many cells, before anything is planned.
    """
    check_endpoint(endpoint)
    if not isinstance(repeats, int) or isinstance(repeats, bool) or repeats < 1:
        raise SweepSpecError(f"repeats must be a whole number >= 1, got {repeats!r}", "repeats")
    prompt_list = check_prompts(endpoint, prompts)
    var_values = check_vars(prompt_list, vars)
    inputs, references = check_inputs(endpoint, images, reference_image)
    settings = check_settings(endpoint, grid)
    base = {k: v for k, v in (defaults or {}).items() if k not in settings}
    swept = {k: v for k, v in settings.items() if len(v) > 1}
    total = count_cells(prompt_list, var_values, len(inputs), len(references), swept, repeats)
    check_cell_count(total, max_cells)
    fixed = {k: v[0] for k, v in settings.items() if len(v) == 1}
    axes = {k: [value_label(v) for v in values] for k, values in swept.items()}
    if len(references) > 1:
        axes["reference_image"] = [r.label for r in references]
    fixed_labels = {k: value_label(v) for k, v in {**base, **fixed}.items()}
    if len(references) == 1:
        fixed_labels["reference_image"] = references[0].label
    axes.update(var_values)

    fills = list(_prompt_fills(prompt_list, var_values))
    per_combo = len(fills) * max(1, len(inputs)) * max(1, len(references)) * repeats
    combos, skipped = _combinations(endpoint, {**base, **fixed}, swept, per_combo)
    cells: list[Cell] = []
    seen: set[str] = set()
    combo_ids = [_canonical_json(params) for params, _ in combos]
    for template, (chosen, prompt) in fills:
        prompt_id = json.dumps(prompt, ensure_ascii=False)
        for source in _or_none(inputs):
            for reference in _or_none(references):
                sources = _canonical_json(
                    {
                        INPUT_FIELD.get(endpoint, "-"): source and source.wire_value(endpoint),
                        "reference_image": reference and reference.images[0],
                    }
                )
                for (params, labels), combo_id in zip(combos, combo_ids, strict=True):
                    identity = f"{endpoint}|{combo_id}|{prompt_id}|{sources}"
                    cell_params = dict(params)
                    if prompt is not None:
                        cell_params["prompt"] = prompt
                    if source is not None:
                        cell_params[INPUT_FIELD[endpoint]] = source.wire_value(endpoint)
                    setting_labels = labels
                    if reference is not None:
                        cell_params["reference_image"] = reference.images[0]
                        if len(references) > 1:
                            setting_labels = {**labels, "reference_image": reference.label}
                    for repeat in range(repeats):
                        key = hashlib.sha256(f"{identity}|{repeat}".encode()).hexdigest()[:20]
                        if key in seen:
                            continue
                        seen.add(key)
                        info = CellInfo(
                            key=key,
                            position=len(cells),
                            template=template,
                            prompt=prompt,
                            vars=chosen,
                            settings=setting_labels,
                            input=source.label if source else None,
                            repeat=repeat,
                        )
                        cells.append(Cell(info, cell_params))
    if not cells:
        reasons = "; ".join(str(s) for s in skipped) or "no cells"
        raise SweepSpecError(f"no valid combination to run: {reasons}")
    return SweepPlan(
        endpoint=endpoint,
        cells=cells,
        skipped=skipped,
        axes=axes,
        fixed=fixed_labels,
        repeats=repeats,
        prices=prices,
        name=name,
    )


def _combinations(
    endpoint: str, fixed: Mapping[str, Any], swept: Mapping[str, list[Any]], per_combo: int
) -> tuple[list[tuple[dict[str, Any], dict[str, str]]], list[SkippedCell]]:
    """Every combination of the swept settings that the endpoint accepts, and those it refuses."""
    names = list(swept)
    valid: list[tuple[dict[str, Any], dict[str, str]]] = []
    skipped: list[SkippedCell] = []
    for values in itertools.product(*(swept[n] for n in names)):
        params = {**fixed, **dict(zip(names, values, strict=True))}
        params = {k: v for k, v in params.items() if v is not None}
        labels = {n: value_label(v) for n, v in zip(names, values, strict=True)}
        reason = combination_error(endpoint, params)
        if reason is None:
            valid.append((params, labels))
        else:
            skipped.append(SkippedCell(labels, reason, per_combo))
    return valid, skipped


def _prompt_fills(
    prompts: Sequence[str | None], var_values: Mapping[str, list[str]]
) -> Iterator[tuple[str | None, tuple[dict[str, str], str | None]]]:
    """Each prompt with every combination of the vars it uses."""
    for template in prompts:
        used = [n for n in placeholders(template) if n in var_values] if var_values else []
        if template is None or not placeholders(template):  # ``{{``: a brace sent as text
            yield template, ({}, None if template is None else template.format_map({}))
            continue
        if not used:  # placeholders but no vars: sent as written (a warning said so)
            yield template, ({}, template)
            continue
        for values in itertools.product(*(var_values[n] for n in used)):
            chosen = dict(zip(used, values, strict=True))
            yield template, (chosen, template.format_map(chosen))


def _canonical_json(params: Mapping[str, Any]) -> str:
    """Parameters as canonical JSON, images as their hashes (or URLs): part of a cell's key."""
    return json.dumps(
        {k: _canonical(v) for k, v in params.items()}, sort_keys=True, ensure_ascii=False
    )


def _canonical(value: Any) -> Any:
    if isinstance(value, WireImage):
        return f"sha256:{value.sha256}" if value.sha256 else value.value
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return getattr(value, "value", value)


def _or_none(items: list[Input]) -> list[Input | None]:
    """The items, or one None when there are none (an axis that is absent)."""
    return list(items) if items else [None]


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"~{seconds:.0f} s"
    if seconds < 5400:
        return f"~{seconds / 60:.0f} min"
    return f"~{seconds / 3600:.1f} h"
