"""``SweepResult``: a sweep reopened from the run store, as a grid, a table, a report or code.

Its cells and outputs are :mod:`~phota_widgets.experiments.sweeps.cells`. A cell's *variant* is
the combination of its swept settings and vars (everything that varies except prompt, input and
repeat).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from phota_widgets.experiments.sweeps import records
from phota_widgets.experiments.sweeps.cells import (
    SweepCell,
    SweepOutput,
    output_id,
    split_output_id,
)
from phota_widgets.experiments.sweeps.reviewing import ReviewMethods
from phota_widgets.store import RunRecord

if TYPE_CHECKING:
    import pandas

    from phota_widgets.display import HTMLView
    from phota_widgets.experiments.compare.comparison import SweepComparison
    from phota_widgets.experiments.scoring import CheckSpec, Failure, Scorer
    from phota_widgets.experiments.session_protocol import SweepSession


class SweepResult(ReviewMethods):
    """A sweep from the run store: cells, outputs, picks, totals; grid, table, report, snippets.

    Reopen one with ``SweepResult.load(session, sweep_id)`` (ids from ``session.sweeps()``).
    """

    def __init__(
        self,
        session: SweepSession,
        header: records.SweepRow,
        cells: list[SweepCell],
    ) -> None:
        self.session = session
        self.sweep_id = header.sweep_id
        self.name = header.name
        self.endpoint = header.endpoint
        self.created_at = header.created_at
        spec = header.spec
        self.axes: dict[str, list[str]] = dict(spec.get("axes") or {})
        self.fixed: dict[str, str] = dict(spec.get("fixed") or {})
        self.repeats = int(spec.get("repeats", 1))
        self.skipped: list[dict[str, Any]] = list(spec.get("skipped") or [])
        self.cells = cells
        self.checks: list[Scorer] = []
        """The checks this result was last scored with (its columns); empty: all stored."""

    @classmethod
    def load(cls, session: SweepSession, sweep_id: str) -> SweepResult:
        """Reopen a stored sweep (its runs and images as they are in the store now).

        Raises:
            KeyError: no sweep has this id.
        """
        header, rows = records.load_sweep(session.store, sweep_id)
        run_ids = [r.run_id for r in rows if r.run_id is not None]
        runs = {run.run_id: run for run in session.store.runs_by_id(run_ids)}
        cells = [
            SweepCell(
                row.info,
                runs.get(row.run_id) if row.run_id else None,
                _error(runs.get(row.run_id) if row.run_id else None, row.error),
            )
            for row in rows
        ]
        return cls(session, header, cells)

    def refresh(self) -> SweepResult:
        """The same sweep read again from the store (e.g. while it is still running)."""
        fresh = type(self).load(self.session, self.sweep_id)
        fresh.checks = self.checks
        return fresh

    # -- automatic evaluation (experiments/scoring) ----------------------------------------------

    def score(self, checks: Sequence[CheckSpec], *, threads: int | None = None) -> SweepResult:
        """Score every output with ``checks`` (what the store holds is not computed again).

        The result then shows these checks' columns (``check.<name>``, ``score.<name>``,
        ``passed``) in :meth:`to_dataframe`, the CSV and the report. Returns ``self``.

        Raises:
            CheckSpecError: a check that cannot be used (nothing scored).
        """
        from phota_widgets.experiments.scoring import engine, resolve_checks

        scorers = resolve_checks(checks)
        outputs = engine.scored_outputs(self.session.store, self.cells)
        wanted = threads or engine.worker_threads(scorers, self.session.max_concurrency)
        engine.score_outputs(self.session.store, outputs, scorers, threads=wanted)
        self.checks = scorers
        return self

    def failures(self) -> list[Failure]:
        """Every failed check of every output, with the reason (plan order)."""
        from phota_widgets.experiments.scoring.summary import failures

        return failures(self)

    # -- contents ------------------------------------------------------------------------------

    @property
    def settings(self) -> list[str]:
        """The names of the swept settings (not vars), in order."""
        return [name for name in self.axes if not self._is_var(name)]

    @property
    def vars(self) -> list[str]:
        """The names of the vars, in order."""
        return [name for name in self.axes if self._is_var(name)]

    def _is_var(self, name: str) -> bool:
        return any(name in c.info.vars for c in self.cells)

    @property
    def variants(self) -> list[str]:
        """The variant labels (combinations of swept settings and vars), in plan order."""
        return list(dict.fromkeys(c.info.variant for c in self.cells))

    def outputs(self) -> Iterator[SweepOutput]:
        """Every stored output, in plan order."""
        for cell in self.cells:
            if cell.run is None:
                continue
            for record in cell.outputs:
                yield SweepOutput(output_id(cell.run.run_id, record.index), cell, record)

    def output(self, value: str) -> SweepOutput:
        """One output by its id.

        Raises:
            KeyError: the sweep has no such output.
        """
        run_id, index = split_output_id(value)
        for cell in self.cells:
            if cell.run is not None and cell.run.run_id == run_id:
                for record in cell.outputs:
                    if record.index == index:
                        return SweepOutput(value, cell, record)
        raise KeyError(f"sweep {self.sweep_id} has no output {value!r}")

    def pick(self, value: str, picked: bool = True) -> None:
        """Mark (or unmark) an output as picked; kept in the run store."""
        self.output(value)  # refuses ids of other sweeps
        run_id, index = split_output_id(value)
        self.session.store.set_pick(run_id, index, picked)
        self.__dict__.update(self.refresh().__dict__)

    @property
    def picks(self) -> list[str]:
        """Ids of the picked outputs."""
        return [o.output_id for o in self.outputs() if o.record.picked]

    def counts(self) -> dict[str, int]:
        """How many cells have each status."""
        out: dict[str, int] = {}
        for cell in self.cells:
            out[cell.status] = out.get(cell.status, 0) + 1
        return out

    @property
    def calls(self) -> int:
        """Cells with a recorded run."""
        return sum(1 for c in self.cells if c.run is not None)

    @property
    def images(self) -> int:
        """Stored output images."""
        return sum(len(c.outputs) for c in self.cells)

    @property
    def cost(self) -> float:
        """Estimated cost of the succeeded cells, in US dollars."""
        return round(sum(run.cost or 0.0 for run in self._succeeded_runs()), 4)

    @property
    def seconds(self) -> float:
        """Total time of the answered calls (their latencies summed)."""
        return round(sum(run.elapsed or 0.0 for run in self._succeeded_runs()), 3)

    def _succeeded_runs(self) -> Iterator[RunRecord]:
        for cell in self.cells:
            if cell.run is not None and cell.run.status == "succeeded":
                yield cell.run

    # -- views and exports ---------------------------------------------------------------------

    def to_dataframe(self) -> pandas.DataFrame:
        """One row per output image (and one per cell without outputs, with its error).

        Columns: output_id, cell, prompt, template (as written, ``{var}`` unfilled), one per
        swept setting and var, one per fixed setting, repeat, path, run_id, request_id, cost,
        latency, picked, error, variant, input; then stars (mean over judges), note (the
        latest) and changed_fraction (edit/enhance/remix outputs).
        """
        from phota_widgets.experiments.review.judgements import add_review_columns
        from phota_widgets.experiments.sweeps.table import sweep_dataframe

        return add_review_columns(self, sweep_dataframe(self))

    def show(self, max_px: int = 192) -> HTMLView:
        """The labelled grid: a row per prompt (or input), a column per variant (thumbnails)."""
        from phota_widgets.experiments.sweeps.report import grid_view

        return grid_view(self, max_px=max_px)

    def export_html(self, path: str | os.PathLike[str], max_px: int | None = None) -> Path:
        """Write one self-contained HTML report (thumbnails inlined, no network) and return it:
        the grid fits the page width (click an image to enlarge it to ``max_px``, default
        512), then the leaderboards (overall and by each swept setting)."""
        from phota_widgets.experiments.sweeps.report import REPORT_PX, write_report

        if max_px is None:
            max_px = REPORT_PX

        return write_report(self, Path(path), max_px=max_px)

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the sweep's table (``to_dataframe()``'s rows and columns) as CSV; text cells
        beginning with ``=``, ``+``, ``-`` or ``@`` get a ``'`` in front (no formula runs)."""
        from phota_widgets.experiments.sweeps.table import write_csv

        return write_csv(self, Path(path))

    def snippet(self, value: str) -> str:
        """Python code that reproduces an output's call with its exact parameters."""
        from phota_widgets.experiments.sweeps.table import snippet

        return snippet(self, self.output(value))

    def to_mlflow(
        self,
        tracking_uri: str | None = None,
        experiment: str | None = None,
        *,
        verbose: bool = False,
    ) -> str:
        """Log the sweep to MLflow: a parent run (settings, totals, leaderboards, report,
        preferences with their images), a child run per cell (params, cost, latency, stars,
        win rate, images).

        Exporting again updates those runs, never duplicates them; each metric keeps one value
        (a run whose values changed is replaced). MLflow's telemetry is off during the call
        and its console lines quiet unless ``verbose``. Needs
        ``pip install 'phota-widgets[mlflow]'``. Returns the parent run's id.
        """
        from phota_widgets.experiments.exports.mlflow_export import export_sweep

        return export_sweep(self, tracking_uri, experiment, verbose=verbose)

    def compare(self, other: SweepResult) -> SweepComparison:
        """This sweep (A) against ``other`` (B), cell by cell: see ``pw.compare_sweeps``."""
        from phota_widgets.experiments.compare.comparison import compare_sweeps

        return compare_sweeps(self, other)

    def _repr_html_(self) -> str:
        return self.show()._repr_html_()

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.counts().items()))
        name = f" {self.name!r}" if self.name else ""
        text = (
            f"SweepResult({self.sweep_id}{name}: {self.endpoint}, {len(self.cells)} cells "
            f"({counts}), {self.images} images, ${self.cost:.2f})"
        )
        waiting = self.counts().get("submitted", 0)
        if waiting:
            text += f"\n  {uncollected_message(waiting)}"
        return text


def uncollected_message(waiting: int) -> str:
    """What to do about cells paid for but not collected yet."""
    cells = "cell was" if waiting == 1 else "cells were"
    return (
        f"{waiting} paid {cells} not collected yet: run the same sweep again to collect them "
        "(nothing is paid twice)"
    )


def _error(run: RunRecord | None, cell_error: str | None) -> str | None:
    if run is not None:
        return run.error if run.status == "failed" else None
    return cell_error
