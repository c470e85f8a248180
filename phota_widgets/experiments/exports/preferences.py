"""Preference data out: pairwise judgements and picks as rows a trainer loads directly.

Formats (``format=``):

* ``"trl"``: TRL's standard preference type: ``prompt``, ``chosen``, ``rejected`` (here image
  paths), plus ``chosen_id``/``rejected_id``, ``chosen_variant``/``rejected_variant`` and
  ``source``. Only rows with a winner (ties and "both bad" carry no preference) between two
  different images (identical bytes carry none either).
* ``"pickapic"``: Pick-a-Pic's columns: ``caption``, ``jpg_0``, ``jpg_1`` (image paths, where
  Pick-a-Pic stores the bytes), ``label_0``/``label_1`` (1/0 for a winner, 0.5/0.5 for a tie,
  0/0 with ``has_label`` False for "both bad"), ``model_0``/``model_1`` (the variant labels),
  ``image_0_uid``/``image_1_uid`` (output ids), ``best_image_uid``, ``are_different``,
  ``has_label``, ``user_id`` (the judge), ``created_at``, ``ranking_id``,
  ``num_example_per_prompt``.
* ``"jsonl"``: every row with every field (outputs, paths, variants, winner, sides, judge, time,
  ``identical``, ``criterion``).

Judgements by a criterion (``res.review(criteria=[...])``) go to a file per criterion beside
the overall one (see :func:`~phota_widgets.experiments.exports.preference_data.export_preferences`):
each is a valid dataset of its format on its own, never mixing what was judged.

The file is JSON lines; with ``pyarrow`` installed the same rows are also written as Parquet
beside it (same name, ``.parquet``). Images are copied into ``images/`` beside the file and named
by content hash, so the paths in the rows are relative to the file and the folder moves as one.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, get_args

from phota_widgets.experiments.review.ranking import Winner
from phota_widgets.files import atomic_write

__all__ = ["PREFERENCE_FORMATS", "PreferenceFormat", "PreferenceRow", "write_preferences"]

PreferenceFormat = Literal["trl", "pickapic", "jsonl"]
PREFERENCE_FORMATS: tuple[str, ...] = get_args(PreferenceFormat)

PICKAPIC_COLUMNS = (
    "caption", "jpg_0", "jpg_1", "label_0", "label_1", "model_0", "model_1", "image_0_uid",
    "image_1_uid", "best_image_uid", "are_different", "has_label", "user_id", "created_at",
    "ranking_id", "num_example_per_prompt",
)  # fmt: skip
TRL_COLUMNS = (
    "prompt", "chosen", "rejected", "chosen_id", "rejected_id", "chosen_variant",
    "rejected_variant", "source",
)  # fmt: skip


@dataclass(frozen=True)
class PreferenceRow:
    """One preference between two outputs of the same prompt (and input).

    Attributes:
        prompt: the filled prompt both outputs answer (``{var}`` values in).
        output_0, output_1: the output ids (``"<run_id>:<index>"``).
        path_0, path_1: their image files.
        variant_0, variant_1: their variant labels.
        winner: ``"a"`` (output_0), ``"b"`` (output_1), ``"tie"`` or ``"both_bad"``.
        source: ``"judgement"`` (a pairwise review) or ``"pick"`` (picked in the grid over an
            output of the same cell that was not picked).
        judge: who judged (None for picks).
        created_at: when (epoch seconds; None for picks).
        shown_left: which of the two was on the left (None when not shown side by side).
        identical: both images have the same bytes (no preference to learn from).
        criterion: what the pair was judged by (None: overall, and picks).
    """

    prompt: str
    output_0: str
    output_1: str
    path_0: Path
    path_1: Path
    variant_0: str
    variant_1: str
    winner: Winner
    source: Literal["judgement", "pick"]
    judge: str | None = None
    created_at: float | None = None
    shown_left: Literal["a", "b"] | None = None
    identical: bool = False
    criterion: str | None = None


def write_preferences(
    rows: Sequence[PreferenceRow], path: str | Path, format: PreferenceFormat = "trl"
) -> list[Path]:
    """Write the rows (JSON lines, plus Parquet with pyarrow) and copy their images beside them.

    Args:
        rows: the preferences.
        path: the JSON-lines file to write (its folder is created).
        format: ``"trl"``, ``"pickapic"`` or ``"jsonl"``.

    Returns:
        The files written: the JSON lines, then the Parquet file when pyarrow is installed.

    Raises:
        ValueError: an unknown format, or an image file that no longer exists.
    """
    import pandas as pd

    if format not in PREFERENCE_FORMATS:
        raise ValueError(f"format must be one of {list(PREFERENCE_FORMATS)}, got {format!r}")
    target = Path(path).expanduser()
    if target.suffix.lower() == ".parquet":
        raise ValueError(
            f"give the JSON-lines path ({target.with_suffix('.jsonl').name}); the Parquet "
            "file is written beside it"
        )
    for row in rows:
        for image in (row.path_0, row.path_1):
            if not Path(image).is_file():
                raise ValueError(f"image {image} of output {row.output_0} is missing on disk")
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    names: dict[Path, str] = {}

    def copied(image: Path) -> str:
        if image not in names:
            relative = Path("images") / Path(image).name
            destination = folder / relative
            if not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(image, destination)
            names[image] = relative.as_posix()
        return names[image]

    records = _records(rows, format, copied)
    columns = {"trl": TRL_COLUMNS, "pickapic": PICKAPIC_COLUMNS}.get(format)
    frame = pd.DataFrame(records, columns=list(columns) if columns else None)
    text = frame.to_json(orient="records", lines=True) if len(frame) else ""  # no blank line
    atomic_write(target, text.encode("utf-8"))
    written = [target]
    if importlib.util.find_spec("pyarrow") is not None:
        parquet = target.with_suffix(".parquet")
        frame.to_parquet(parquet, index=False)
        written.append(parquet)
    return written


def _records(rows: Sequence[PreferenceRow], format: str, copied: Any) -> list[dict[str, Any]]:
    if format == "trl":
        return [_trl(row, copied) for row in rows if row.winner in ("a", "b") and not row.identical]
    if format == "pickapic":
        per_prompt: dict[str, int] = {}
        for row in rows:
            per_prompt[row.prompt] = per_prompt.get(row.prompt, 0) + 1
        return [_pickapic(i, row, copied, per_prompt) for i, row in enumerate(rows)]
    return [_full(row, copied) for row in rows]


def _trl(row: PreferenceRow, copied: Any) -> dict[str, Any]:
    first = row.winner == "a"
    chosen, rejected = (0, 1) if first else (1, 0)
    ids = (row.output_0, row.output_1)
    paths = (row.path_0, row.path_1)
    variants = (row.variant_0, row.variant_1)
    return {
        "prompt": row.prompt,
        "chosen": copied(paths[chosen]),
        "rejected": copied(paths[rejected]),
        "chosen_id": ids[chosen],
        "rejected_id": ids[rejected],
        "chosen_variant": variants[chosen],
        "rejected_variant": variants[rejected],
        "source": row.source,
    }


def _labels(winner: str) -> tuple[float, float]:
    return {"a": (1.0, 0.0), "b": (0.0, 1.0), "tie": (0.5, 0.5)}.get(winner, (0.0, 0.0))


def _pickapic(
    number: int, row: PreferenceRow, copied: Any, per_prompt: dict[str, int]
) -> dict[str, Any]:
    label_0, label_1 = _labels(row.winner)
    best = {"a": row.output_0, "b": row.output_1}.get(row.winner, "")
    return {
        "caption": row.prompt,
        "jpg_0": copied(row.path_0),
        "jpg_1": copied(row.path_1),
        "label_0": label_0,
        "label_1": label_1,
        "model_0": row.variant_0,
        "model_1": row.variant_1,
        "image_0_uid": row.output_0,
        "image_1_uid": row.output_1,
        "best_image_uid": best,
        "are_different": not row.identical and row.path_0 != row.path_1,
        "has_label": row.winner != "both_bad",
        "user_id": row.judge or "",
        "created_at": _iso(row.created_at),
        "ranking_id": number,
        "num_example_per_prompt": per_prompt[row.prompt],
    }


def _full(row: PreferenceRow, copied: Any) -> dict[str, Any]:
    return {
        "prompt": row.prompt,
        "output_0": row.output_0,
        "output_1": row.output_1,
        "image_0": copied(row.path_0),
        "image_1": copied(row.path_1),
        "variant_0": row.variant_0,
        "variant_1": row.variant_1,
        "winner": row.winner,
        "source": row.source,
        "judge": row.judge,
        "created_at": _iso(row.created_at),
        "shown_left": row.shown_left,
        "identical": row.identical,
        "criterion": row.criterion,
    }


def _iso(when: float | None) -> str | None:
    return None if when is None else datetime.fromtimestamp(when, timezone.utc).isoformat()
