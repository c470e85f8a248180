"""A sweep as a table (one row per output) and as code that reproduces one output."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from phota_widgets.api.client import IMAGE_FIELDS
from phota_widgets.csv_export import write_frame_csv

if TYPE_CHECKING:
    import pandas

    from phota_widgets.experiments.sweeps.cells import SweepOutput
    from phota_widgets.experiments.sweeps.result import SweepResult

LEADING = ("output_id", "cell", "prompt", "template")
TRAILING = (
    "repeat", "path", "run_id", "request_id", "cost", "latency", "requests", "picked", "error",
    "variant", "input",
)  # fmt: skip


def columns(result: SweepResult) -> list[str]:
    """The table's columns: ids, prompt and template, one per swept setting and var, one per
    fixed setting (the same value on every row), then the rest."""
    return [*LEADING, *result.axes, *_fixed_names(result), *TRAILING]


def _fixed_names(result: SweepResult) -> list[str]:
    taken = {*LEADING, *result.axes, *TRAILING}
    return [name for name in result.fixed if name not in taken]


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
    """The sweep's DataFrame (``result.to_dataframe()``, review columns included) as a CSV file,
    written atomically, text a spreadsheet would run as a formula quoted."""
    return write_frame_csv(result.to_dataframe(), path)


def sweep_rows(result: SweepResult) -> list[dict[str, Any]]:
    """One row per output image, and one per cell without outputs (output_id None, its error)."""
    from phota_widgets.experiments.sweeps.cells import output_id

    axes = list(result.axes)
    fixed = _fixed_names(result)
    rows: list[dict[str, Any]] = []
    for cell in result.cells:
        info, run = cell.info, cell.run
        base: dict[str, Any] = {
            "cell": info.key,
            "prompt": info.prompt,
            "template": info.template,
            **{name: info.settings.get(name, info.vars.get(name)) for name in axes},
            **{name: result.fixed[name] for name in fixed},
            "repeat": info.repeat,
            "run_id": run.run_id if run else None,
            "request_id": run.request_id if run else None,
            "latency": run.elapsed if run else None,
            "requests": run.requests if run else None,
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
        *_session_lines(result),
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


def _session_lines(result: SweepResult) -> list[str]:
    """``s = pw.Session(...)`` on the sweep's run store, with no machine path and no password:
    a team store by its index and files URLs, a local one by its folder (relative to the
    working folder when inside it, else by name)."""
    store = result.session.store
    if store.shared:
        return [
            "# the team's run store (credentials: storage_options= or the environment)",
            f"s = pw.Session(index_url={store.index_display!r}, "
            f"files_url={_without_password(store.files.url)!r})",
        ]
    try:
        folder = store.root.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        folder = store.root.name
    return [
        "# the sweep's run store folder (point output_dir at your copy of it)",
        f"s = pw.Session(output_dir={folder!r})",
    ]


def _without_password(url: str) -> str:
    """A URL with any ``user:password@`` credentials hidden."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _images_code(value: Any) -> str:
    """Recorded inputs (``sha256:`` references or URLs) as code reading them back."""
    if isinstance(value, list):
        return "[" + ", ".join(_images_code(v) for v in value) + "]"
    if isinstance(value, str) and value.startswith("sha256:"):
        return f"s.input_image({value!r})"
    return repr(value)
