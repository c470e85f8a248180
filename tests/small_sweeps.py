"""Small offline sweeps that several test folders review and judge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from phota_widgets.experiments import SweepResult

RATIOS = ["1:1", "16:9", "4:3"]
"""Three variants: every filled prompt gives three pairs."""


def three_ratios(session: Any, prompts: Sequence[str] = ("a red house",)) -> SweepResult:
    """Generate each prompt at three aspect ratios (three variants, quietly)."""
    result: SweepResult = session.sweep(
        "generate", prompts=list(prompts), aspect_ratio=RATIOS, progress=False
    )
    return result
