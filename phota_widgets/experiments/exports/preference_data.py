"""A sweep's judgements and picks as preference rows, and their export.

Every row compares two outputs of the same filled prompt and input (the review pairs only
those). Two outputs whose image bytes are identical carry no preference: such rows are marked
(``identical``) and the TRL export leaves them out.

Judgements by criteria are written one file per criterion, beside the file asked for (which
keeps the overall judgements and the picks): ``prefs.jsonl`` then ``prefs.realism.jsonl``,
``prefs.prompt-adherence.jsonl``. A trainer takes one preference per pair, so mixing criteria
in one file would teach it contradictions; a file per criterion keeps every file a valid
dataset of its format, with the same columns.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from phota_widgets.experiments.exports.preferences import (
    PreferenceFormat,
    PreferenceRow,
    write_preferences,
)
from phota_widgets.experiments.review.judgements import judgements, parse_side, parse_winner

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.cells import SweepOutput
    from phota_widgets.experiments.sweeps.result import SweepResult

__all__ = ["export_preferences", "preference_rows"]


def preference_rows(result: SweepResult) -> list[PreferenceRow]:
    """Every judgement (overall, then by each criterion), then every pick against each output
    of its cell that was not picked.

    Judgements between outputs of different filled prompts or inputs (recorded by versions that
    paired by template) are left out: they say nothing a trainer can use.
    """
    outputs = {o.output_id: o for o in result.outputs()}
    rows = []
    found = judgements(result, every_criterion=True)
    for j in sorted(found, key=lambda j: j.criterion is not None):  # stable: overall first
        first, second = outputs[j.output_a], outputs[j.output_b]
        if _answers(first) != _answers(second):
            continue  # judged before pairs kept to one prompt: an owl against a fox
        rows.append(
            _pair_row(
                first,
                second,
                winner=parse_winner(j.winner),
                source="judgement",
                judge=j.judge,
                created_at=j.created_at,
                shown_left=parse_side(j.shown_left),
                criterion=j.criterion,
            )
        )
    by_cell: dict[str, list[SweepOutput]] = defaultdict(list)
    for out in outputs.values():
        by_cell[out.cell.info.key].append(out)
    for members in by_cell.values():
        for chosen in (o for o in members if o.record.picked):
            for other in (o for o in members if not o.record.picked):
                rows.append(_pair_row(chosen, other, winner="a", source="pick"))
    return rows


def _pair_row(first: SweepOutput, second: SweepOutput, **rest: Any) -> PreferenceRow:
    """A row of ``first`` against ``second`` (prompt, ids, paths, variants, sameness filled in)."""
    return PreferenceRow(
        prompt=first.cell.info.prompt or "",
        output_0=first.output_id,
        output_1=second.output_id,
        path_0=first.path,
        path_1=second.path,
        variant_0=first.cell.info.variant,
        variant_1=second.cell.info.variant,
        identical=first.record.sha256 == second.record.sha256,
        **rest,
    )


def _answers(output: SweepOutput) -> tuple[str | None, str | None]:
    return (output.cell.info.prompt, output.cell.info.input)


def export_preferences(
    result: SweepResult, path: str | Path, format: PreferenceFormat = "trl"
) -> list[Path]:
    """Write the sweep's preference data: ``path`` (overall judgements and picks), then a file
    per criterion judged beside it (see the module docs).

    See :mod:`phota_widgets.experiments.exports.preferences` for the formats.
    """
    target = Path(path)
    rows = preference_rows(result)
    by_criterion: dict[str | None, list[PreferenceRow]] = {None: []}
    for row in rows:
        by_criterion.setdefault(row.criterion, []).append(row)
    written = []
    names = criterion_file_names(target, [c for c in by_criterion if c is not None])
    for criterion, members in by_criterion.items():
        file = target if criterion is None else names[criterion]
        written += write_preferences(members, file, format)
    return written


def criterion_file_names(path: Path, criteria: list[str]) -> dict[str, Path]:
    """Each criterion's file beside ``path``: ``<stem>.<criterion, lower-case, dashes><suffix>``
    (a number added when two criteria would share a name)."""
    names: dict[str, Path] = {}
    used = {path.name}
    for criterion in criteria:
        slug = re.sub(r"[^a-z0-9]+", "-", criterion.casefold()).strip("-") or "criterion"
        name, number = f"{path.stem}.{slug}{path.suffix}", 2
        while name in used:
            name, number = f"{path.stem}.{slug}-{number}{path.suffix}", number + 1
        used.add(name)
        names[criterion] = path.with_name(name)
    return names
