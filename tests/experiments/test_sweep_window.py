"""A sweep starts only the cells its limit can use soon: the others wait unrecorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import phota_widgets as pw
from phota_widgets.experiments.sweeps import runner
from phota_widgets.experiments.sweeps.runner import READY_PER_SLOT, SweepRunner


def test_cells_in_progress_follow_the_limit_now_not_its_ceiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = SweepRunner._run_cell
    at_once = {"now": 0, "most": 0}

    async def tracked(self: SweepRunner, cell: Any, bar: Any) -> None:
        at_once["now"] += 1
        at_once["most"] = max(at_once["most"], at_once["now"])
        try:
            await original(self, cell, bar)
        finally:
            at_once["now"] -= 1

    monkeypatch.setattr(runner.SweepRunner, "_run_cell", tracked)
    with (
        pw.LocalServer(api_key="k", processing=0.2) as srv,
        pw.Session(
            api_key="k",
            base_url=srv.base_url,
            output_dir=tmp_path,
            max_concurrency=2,
            adaptive=False,
        ) as s,
    ):
        result = s.sweep("generate", prompts=[f"a wren {i}" for i in range(16)], progress=False)
        assert result.counts() == {"succeeded": 16}
    # the window was 2 x 4 = 8 cells before; now 2 slots x READY_PER_SLOT
    assert 2 <= at_once["most"] <= 2 * READY_PER_SLOT, at_once
