"""Automatic evaluation of sweep outputs: checks, metrics and model-graded rubrics.

``s.sweep(..., checks=[...])`` scores outputs as they arrive; ``res.score(checks)`` scores a
finished sweep; every score is kept in the run store and never computed twice. See
:mod:`.checks`, :mod:`.metrics` and :mod:`.rubric` for the built-ins and their formulas.
"""

from phota_widgets.experiments.scoring.base import (
    BaseScorer,
    CallableScorer,
    Score,
    ScoredOutput,
    Scorer,
)
from phota_widgets.experiments.scoring.engine import ScoreRun, ScoringWorker, score_outputs
from phota_widgets.experiments.scoring.specs import (
    BUILTINS,
    CheckSpec,
    CheckSpecError,
    resolve_checks,
)
from phota_widgets.experiments.scoring.summary import Failure, VariantRate, wilson

__all__ = [
    "BUILTINS",
    "BaseScorer",
    "CallableScorer",
    "CheckSpec",
    "CheckSpecError",
    "Failure",
    "Score",
    "ScoreRun",
    "ScoredOutput",
    "Scorer",
    "ScoringWorker",
    "VariantRate",
    "resolve_checks",
    "score_outputs",
    "wilson",
]
