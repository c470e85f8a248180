"""Prompt experiments: sweeps of prompts x settings over a Session, planned, run, kept, exported.

Layer: above ``session`` and ``store``, below ``widgets``; nothing here imports the widgets
(``SweepResult.review()`` alone builds a ``ReviewPanel``, importing it when called).

Rooms: ``sweeps/`` (plan, run, result, table, report, experiment files, the sweep command),
``review/`` (pairs, judgements, ratings, leaderboard, ranking, agreement, model judge, change
maps), ``scoring/`` (checks, metrics, model-graded rubrics, CI gate), ``exports/`` (preference
data, MLflow, export folder) and ``compare/`` (sweep against sweep). Everything here reaches the
Session through ``session_protocol`` (what a sweep needs of it), the one file that draws the
boundary.
"""

from __future__ import annotations

from phota_widgets.experiments.scoring import CheckSpecError, Failure, Score, ScoredOutput
from phota_widgets.experiments.sweeps.axes import SweepSpecError
from phota_widgets.experiments.sweeps.cells import (
    Cell,
    CellInfo,
    SkippedCell,
    SweepCell,
    SweepOutput,
    output_id,
    split_output_id,
)
from phota_widgets.experiments.sweeps.entry import SweepInfo
from phota_widgets.experiments.sweeps.files import (
    ExperimentFileError,
    load_experiment,
    sweep_from_file,
)
from phota_widgets.experiments.sweeps.plan import SweepPlan, make_plan
from phota_widgets.experiments.sweeps.result import SweepResult
from phota_widgets.experiments.sweeps.runner import CellOutcome, SweepHandle, SweepProgress

__all__ = [
    "Cell",
    "CellInfo",
    "CellOutcome",
    "CheckSpecError",
    "ExperimentFileError",
    "Failure",
    "Score",
    "ScoredOutput",
    "SkippedCell",
    "SweepCell",
    "SweepHandle",
    "SweepInfo",
    "SweepOutput",
    "SweepPlan",
    "SweepProgress",
    "SweepResult",
    "SweepSpecError",
    "load_experiment",
    "make_plan",
    "output_id",
    "split_output_id",
    "sweep_from_file",
]
