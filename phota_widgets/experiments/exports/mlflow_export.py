"""A sweep exported to MLflow: a parent run for the sweep, a child run per cell.

Everything goes through ``MlflowClient`` with explicit run ids (MLflow's fluent API keeps a
global active run and is not thread-safe). Runs are found again by their tags
(``phota.sweep_id``, ``phota.cell_key``), so exporting the same sweep again updates those runs
instead of duplicating them. Each metric is a value, not a history: MLflow cannot overwrite a
logged value, so a run whose values are unchanged gets no new points, and a run whose values
changed (new ratings, judgements, a resumed sweep) is replaced by a fresh run holding the new
values (the old one goes to MLflow's trash; children follow a replaced parent). Artifacts are
overwritten by name. Output images are logged under ``outputs/`` by their content hash
(``<sha256>.<ext>``); the preference data goes under ``preferences/`` with the images it names.

During the export MLflow's telemetry is off (``MLFLOW_DISABLE_TELEMETRY``, ``DO_NOT_TRACK``) and
its console lines (run URLs, INFO logs) are quiet unless ``verbose=True``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from phota_widgets.csv_export import write_frame_csv
from phota_widgets.redact import redact

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

    from phota_widgets.experiments.sweeps.cells import SweepCell
    from phota_widgets.experiments.sweeps.result import SweepResult

DEFAULT_EXPERIMENT = "phota-widgets"
SWEEP_TAG = "phota.sweep_id"
CELL_TAG = "phota.cell_key"
KIND_TAG = "phota.kind"
PARENT_TAG = "mlflow.parentRunId"
MAX_PARAM = 6000
HALF_WINS = ("tie", "both_bad")
"""Judgements that count half a win for each side (the leaderboard's rule)."""


def export_sweep(
    result: SweepResult,
    tracking_uri: str | None = None,
    experiment: str | None = None,
    *,
    verbose: bool = False,
) -> str:
    """Log the sweep to MLflow (again: update) and return the parent run's id.

    Args:
        result: the sweep.
        tracking_uri: the MLflow tracking server or store (default: MLflow's own default,
            ``MLFLOW_TRACKING_URI`` or ``./mlruns``).
        experiment: the MLflow experiment's name (created if missing; default
            ``"phota-widgets"``).
        verbose: let MLflow print its lines (run URLs, INFO logs); quiet by default.

    Raises:
        ImportError: if MLflow is not installed (``pip install 'phota-widgets[mlflow]'``).
    """
    with _mlflow_settings(verbose):
        try:
            from mlflow import MlflowClient
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "sweep.to_mlflow needs MLflow: pip install 'phota-widgets[mlflow]'"
            ) from exc
        client = MlflowClient(tracking_uri)
        return _export(client, result, experiment or DEFAULT_EXPERIMENT)


TELEMETRY_OFF = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
"""Set for the length of an export: MLflow sends no usage data."""
QUIET = {"MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true"}
"""Set for the length of a quiet export: MLflow prints no run URLs."""


@contextmanager
def _mlflow_settings(verbose: bool) -> Iterator[None]:
    """Telemetry off (and MLflow's console quiet unless ``verbose``), restored afterwards."""
    wanted = TELEMETRY_OFF | ({} if verbose else QUIET)
    before = {name: os.environ.get(name) for name in wanted}
    logger = logging.getLogger("mlflow")
    level = logger.level
    os.environ.update(wanted)
    if not verbose:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _export(client: MlflowClient, result: SweepResult, experiment: str) -> str:
    experiment_id = _experiment_id(client, experiment)
    known = _known_runs(client, experiment_id, result.sweep_id)
    parent = _unless_changed(client, known.pop("", None), _parent_metrics(result))
    parent_id = (
        parent.info.run_id
        if parent
        else _new_run(
            client,
            experiment_id,
            result.name or f"sweep {result.sweep_id}",
            {SWEEP_TAG: result.sweep_id, KIND_TAG: "sweep"},
        )
    )
    stars, win_rates = _cell_scores(result)
    with tempfile.TemporaryDirectory(prefix="phota-mlflow-") as folder:
        _log_parent(client, parent_id, parent, result, Path(folder))
    for cell in result.cells:
        metrics = _cell_metrics(cell, stars.get(cell.info.key), win_rates.get(cell.info.key))
        existing = _unless_changed(client, known.get(cell.info.key), metrics)
        if existing is None:
            run_id = _new_run(
                client,
                experiment_id,
                f"{cell.info.position:04d} {cell.info.variant}",
                {
                    SWEEP_TAG: result.sweep_id,
                    CELL_TAG: cell.info.key,
                    KIND_TAG: "cell",
                    PARENT_TAG: parent_id,
                },
            )
        else:
            run_id = existing.info.run_id
            if existing.data.tags.get(PARENT_TAG) != parent_id:
                client.set_tag(run_id, PARENT_TAG, parent_id)  # the parent was replaced
        _log_cell(client, run_id, existing, cell, metrics)
    client.set_terminated(parent_id, "FINISHED")
    return parent_id


def _unless_changed(
    client: MlflowClient, existing: Run | None, metrics: Mapping[str, float | None]
) -> Run | None:
    """The run, or None after deleting it when its metrics differ from ``metrics``."""
    if existing is None:
        return None
    if _finite(metrics) == dict(existing.data.metrics):
        return existing
    client.delete_run(existing.info.run_id)
    return None


def _finite(metrics: Mapping[str, float | None]) -> dict[str, float]:
    return {
        _key(k): float(v) for k, v in metrics.items() if v is not None and math.isfinite(float(v))
    }


def _experiment_id(client: MlflowClient, name: str) -> str:
    found = client.get_experiment_by_name(name)
    if found is None:
        return str(client.create_experiment(name))
    if found.lifecycle_stage == "deleted":
        raise ValueError(
            f"the MLflow experiment {name!r} is deleted: restore it or choose another name"
        )
    return str(found.experiment_id)


def _known_runs(client: MlflowClient, experiment_id: str, sweep_id: str) -> dict[str, Run]:
    """Runs exported earlier for this sweep: the parent under "", each cell under its key."""
    found: dict[str, Run] = {}
    token: str | None = None
    while True:
        page = client.search_runs(
            [experiment_id],
            filter_string=f"tags.`{SWEEP_TAG}` = '{sweep_id}'",
            max_results=1000,
            page_token=token,
        )
        for run in page:
            tags = run.data.tags
            key = "" if tags.get(KIND_TAG) == "sweep" else tags.get(CELL_TAG)
            if key is not None and key not in found:
                found[key] = run
        token = page.token
        if not token:
            return found


def _new_run(client: MlflowClient, experiment_id: str, name: str, tags: dict[str, str]) -> str:
    return str(client.create_run(experiment_id, tags=tags, run_name=name).info.run_id)


def _parent_metrics(result: SweepResult) -> dict[str, float | None]:
    counts = result.counts()
    return {
        "cells": len(result.cells),
        "succeeded": counts.get("succeeded", 0),
        "failed": counts.get("failed", 0),
        "images": result.images,
        "cost_usd": result.cost,
        "seconds": result.seconds,
        "picks": len(result.picks),
    }


def _log_parent(
    client: MlflowClient, run_id: str, existing: Run | None, result: SweepResult, folder: Path
) -> None:
    params: dict[str, Any] = {"endpoint": result.endpoint, "repeats": result.repeats}
    params |= {f"swept.{name}": values for name, values in result.axes.items()}
    params |= {f"fixed.{name}": value for name, value in result.fixed.items()}
    _log(client, run_id, existing, params, _parent_metrics(result))
    for file, criterion in _leaderboard_files(result, folder).items():
        write_frame_csv(result.leaderboard(criterion=criterion), file)
        client.log_artifact(run_id, str(file))
    client.log_artifact(run_id, str(result.export_html(folder / "report.html")))
    preferences = folder / "preferences"
    result.export_preferences(preferences / "preferences.jsonl", "jsonl")
    client.log_artifacts(run_id, str(preferences), "preferences")  # the rows and their images


def _leaderboard_files(result: SweepResult, folder: Path) -> dict[Path, str | None]:
    """``leaderboard.csv`` (unless judged by criteria only), and one per criterion judged."""
    from phota_widgets.experiments.exports.preference_data import criterion_file_names
    from phota_widgets.experiments.review.criteria import criteria_judged
    from phota_widgets.experiments.review.judgements import judgements

    overall = folder / "leaderboard.csv"
    judged = criteria_judged(result)
    files: dict[Path, str | None] = {}
    if not judged or judgements(result):
        files[overall] = None
    for criterion, file in criterion_file_names(overall, judged).items():
        files[file] = criterion
    return files


def _cell_metrics(
    cell: SweepCell, stars: float | None, win_rate: float | None
) -> dict[str, float | None]:
    metrics: dict[str, float | None] = {
        "images": len(cell.outputs),
        "stars": stars,
        "win_rate": win_rate,
    }
    if cell.run is not None:
        metrics |= {"cost_usd": cell.run.cost, "latency_s": cell.run.elapsed}
    return metrics


def _log_cell(
    client: MlflowClient,
    run_id: str,
    existing: Run | None,
    cell: SweepCell,
    metrics: Mapping[str, float | None],
) -> None:
    info, run = cell.info, cell.run
    params: dict[str, Any] = dict(run.params) if run is not None else {}
    params |= {"variant": info.variant, "repeat": info.repeat, "cell_key": info.key}
    params |= {f"var.{k}": v for k, v in info.vars.items()}
    if info.input is not None:
        params["input"] = info.input
    _log(client, run_id, existing, params, metrics)
    if run is not None:
        client.set_tag(run_id, "phota.run_id", run.run_id)
    if cell.error:
        client.set_tag(run_id, "phota.error", redact(cell.error) or "")
    for output in cell.outputs:
        client.log_artifact(run_id, str(output.path), "outputs")
    status = {"succeeded": "FINISHED", "failed": "FAILED", "cancelled": "KILLED"}
    client.set_terminated(run_id, status.get(cell.status, "RUNNING"))


def _log(
    client: MlflowClient,
    run_id: str,
    existing: Run | None,
    params: dict[str, Any],
    metrics: Mapping[str, float | None],
) -> None:
    from mlflow.entities import Metric, Param

    logged = existing.data.params if existing is not None else {}
    # params are immutable in MLflow: only new ones are added
    new_params = [Param(_key(k), _value(v)) for k, v in params.items() if _key(k) not in logged]
    now = int(time.time() * 1000)
    had = existing.data.metrics if existing is not None else {}
    values = [  # an unchanged value gets no second point
        Metric(k, v, now, 0) for k, v in _finite(metrics).items() if had.get(k) != v
    ]
    for start in range(0, max(len(new_params), len(values)), 100):
        client.log_batch(
            run_id, metrics=values[start : start + 100], params=new_params[start : start + 100]
        )


def _cell_scores(result: SweepResult) -> tuple[dict[str, float], dict[str, float]]:
    """Mean stars and pairwise win rate of each cell's outputs (a tie and a "both bad" count
    half a win each way, as on the leaderboard); the win rate counts overall judgements only
    (each criterion has its own leaderboard file)."""
    from phota_widgets.experiments.review.judgements import judgements, ratings

    cell_of = {o.output_id: o.cell.info.key for o in result.outputs()}
    stars: dict[str, list[int]] = defaultdict(list)
    for rating in ratings(result):
        stars[cell_of[rating.output_id]].append(rating.stars)
    wins: dict[str, float] = defaultdict(float)
    seen: dict[str, int] = defaultdict(int)
    for j in judgements(result):
        for side, output in (("a", j.output_a), ("b", j.output_b)):
            key = cell_of[output]
            seen[key] += 1
            wins[key] += 1.0 if j.winner == side else 0.5 if j.winner in HALF_WINS else 0.0
    return (
        {k: sum(v) / len(v) for k, v in stars.items()},
        {k: wins[k] / n for k, n in seen.items()},
    )


def _key(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-./ " else "_" for c in name)[:250]


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return (redact(text) or "")[:MAX_PARAM]
