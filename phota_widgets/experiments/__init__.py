"""Prompt experiments: sweeps of prompts x settings over a Session, planned, run, kept, exported.

Layer: above ``session`` and ``store``, below ``widgets``; nothing here imports the widgets
(``SweepResult.review()`` alone builds a ``ReviewPanel``, importing it when called).

Modules: ``axes`` (checking each axis), ``plan`` (cells with stable keys, ``SweepPlan``),
``runner`` (running on the session's loop, progress, resume, ``SweepHandle``), ``records``
(sweep rows in the run store), ``result`` (``SweepResult``), ``table`` (DataFrame, snippets),
``report`` (HTML grid and report), ``files`` (YAML experiments), ``sweep`` (what Session calls);
review: ``review`` (pairs, judgements, ratings, leaderboard, review columns), ``ranking``
(Bradley-Terry), ``posterior`` (its credible intervals), ``preferences`` (TRL / Pick-a-Pic /
JSON lines), ``preference_data`` (a sweep's rows), ``change_maps`` (what changed),
``changes`` (change maps), ``review_report`` (the leaderboard section of the report);
automatic evaluation: ``scoring`` (checks, metrics, model-graded rubrics, CI gate).
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
