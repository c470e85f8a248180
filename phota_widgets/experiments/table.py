"""A sweep as a table (one row per output) and as code that reproduces one output."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from phota_widgets.api.client import IMAGE_FIELDS
from phota_widgets.files import atomic_write

if TYPE_CHECKING:
    import pandas

    from phota_widgets.experiments.result import SweepOutput, SweepResult

LEADING = ("output_id", "cell", "prompt")
TRAILING = (
    "repeat", "path", "run_id", "request_id", "cost", "latency", "picked", "error", "variant",
    "input",
)  # fmt: skip


def columns(result: SweepResult) -> list[str]:
    """The table's columns: ids and prompt, one per swept setting and var, then the rest."""
    return [*LEADING, *result.axes, *TRAILING]


def sweep_dataframe(result: SweepResult) -> pandas.DataFrame:
    """The rows of :func:`sweep_rows` as a DataFrame."""
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("SweepResult.to_dataframe needs pandas: pip install pandas") from exc
    from phota_widgets.experiments.scoring.summary import add_score_columns

    rows = sweep_rows(result)
    scored = add_score_columns(result, rows)  # check.<name>, score.<name>, passed
    return pd.DataFrame(rows, columns=[*columns(result), *scored])


def write_csv(result: SweepResult, path: Path) -> Path:
    """The rows of :func:`sweep_rows` as a CSV file (written atomically; no pandas needed)."""
    from phota_widgets.experiments.scoring.summary import add_score_columns

    rows = sweep_rows(result)
    scored = add_score_columns(result, rows)  # check.<name>, score.<name>, passed
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*columns(result), *scored])
    writer.writeheader()
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, buffer.getvalue().encode("utf-8"))
    return path


def sweep_rows(result: SweepResult) -> list[dict[str, Any]]:
    """One row per output image, and one per cell without outputs (output_id None, its error)."""
    from phota_widgets.experiments.result import output_id

    axes = list(result.axes)
    rows: list[dict[str, Any]] = []
    for cell in result.cells:
        info, run = cell.info, cell.run
        base: dict[str, Any] = {
            "cell": info.key,
            "prompt": info.prompt,
            **{name: info.settings.get(name, info.vars.get(name)) for name in axes},
            "repeat": info.repeat,
            "run_id": run.run_id if run else None,
            "request_id": run.request_id if run else None,
            "latency": run.elapsed if run else None,
            "error": cell.error,
            "variant": info.variant,
            "input": info.input,
        }
        outputs = cell.outputs
        if not outputs or run is None:
            rows.append({**base, "output_id": None, "path": None, "cost": None, "picked": False})
            continue
        share = (run.cost / len(outputs)) if run.cost is not None else None
        for record in outputs:
            rows.append(
                {
                    **base,
                    "output_id": output_id(run.run_id, record.index),
                    "path": str(record.path),
                    "cost": None if share is None else round(share, 4),
                    "picked": record.picked,
                }
            )
    return rows


def snippet(result: SweepResult, output: SweepOutput) -> str:
    """Code that makes the same call as the one that produced ``output``."""
    run = output.cell.run
    assert run is not None
    lines = [
        "import phota_widgets as pw",
        "",
        f"s = pw.Session(output_dir={str(result.session.store.root)!r})",
        "result = s.run(",
        f"    {run.endpoint!r},",
    ]
    for name, value in run.params.items():
        code = _images_code(value) if name in IMAGE_FIELDS else repr(value)
        lines.append(f"    {name}={code},")
    lines.append(")")
    where = f"sweep {result.sweep_id}, output {output.output_id}"
    lines.append(f"result.images[{output.record.index}]  # {where}")
    return "\n".join(lines) + "\n"


def _images_code(value: Any) -> str:
    """Recorded inputs (``sha256:`` references or URLs) as code reading them back."""
    if isinstance(value, list):
        return "[" + ", ".join(_images_code(v) for v in value) + "]"
    if isinstance(value, str) and value.startswith("sha256:"):
        return f"s.input_image({value!r})"
    return repr(value)
