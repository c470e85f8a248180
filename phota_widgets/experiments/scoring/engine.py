"""Scoring a sweep's outputs, with every score kept in the run store and never computed twice.

:func:`score_outputs` looks up each (output, scorer) key first and computes only what is
missing; :class:`ScoringWorker` does the same on its own threads as a sweep's cells arrive
(never on the kernel's thread or the session's loop).
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from phota_widgets.experiments.scoring.base import (
    Score,
    ScoredOutput,
    Scorer,
    output_hash,
    stable_hash,
)
from phota_widgets.redact import redact
from phota_widgets.store.scores import ScoreKey, ScoreRecord

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.cells import CellInfo, SweepCell
    from phota_widgets.experiments.sweeps.result import SweepResult
    from phota_widgets.store import RunStore

logger = logging.getLogger("phota_widgets")

INPUT_PARAMS = ("images", "image", "input_image")
"""Run parameters that hold input images (as ``sha256:`` references)."""


@dataclass(frozen=True)
class ScoreRun:
    """What one scoring pass did: scores computed now and scores found in the store."""

    computed: int
    cached: int


def score_key(scorer: Scorer, output: ScoredOutput) -> ScoreKey:
    """The store key of one scorer's score of one output."""
    return ScoreKey(
        output_hash(scorer, output), scorer.name, scorer.version, stable_hash(dict(scorer.params))
    )


def scored_outputs(store: RunStore, cells: Sequence[SweepCell]) -> list[ScoredOutput]:
    """The outputs of these cells as scorers see them (groups: a cell and its repeats)."""
    groups: dict[tuple[Any, ...], list[tuple[str, str, Path]]] = defaultdict(list)
    for cell in cells:
        if cell.run is None:
            continue
        for record in cell.outputs:
            oid = f"{cell.run.run_id}:{record.index}"
            groups[_group_of(cell)].append((oid, record.sha256, record.path))
    found: list[ScoredOutput] = []
    for cell in cells:
        run = cell.run
        if run is None or run.status != "succeeded":
            continue
        inputs = _input_paths(store, run.params)
        for record in cell.outputs:
            found.append(
                ScoredOutput(
                    output_id=f"{run.run_id}:{record.index}",
                    sha256=record.sha256,
                    path=record.path,
                    width=record.width,
                    height=record.height,
                    prompt=cell.info.prompt,
                    template=cell.info.template,
                    vars=dict(cell.info.vars),
                    settings=dict(run.params),
                    input_paths=inputs,
                    cost=run.cost,
                    latency=run.elapsed,
                    known_subjects=dict(run.known_subjects),
                    images_returned=len(run.outputs),
                    group=tuple(groups[_group_of(cell)]),
                    variant=cell.info.variant,
                )
            )
    return found


def _group_of(cell: SweepCell) -> tuple[Any, ...]:
    """A cell and its repeats share a group (everything but the repeat number)."""
    info = cell.info
    return (info.template, info.prompt, info.variant, info.input)


def _input_paths(store: RunStore, params: dict[str, Any]) -> list[Path]:
    paths: list[Path] = []
    for name in INPUT_PARAMS:
        value = params.get(name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.startswith("sha256:"):
                path = store.input_path(item)
                if path is not None:
                    paths.append(path)
    return paths


def run_scorer(scorer: Scorer, output: ScoredOutput) -> Score:
    """One score; a scorer that raises gives a failed, unkept score naming the error."""
    try:
        return scorer.score(output)
    except Exception as exc:  # a user's function may raise anything: report it on the output
        detail = redact(f"{type(exc).__name__}: {exc}") or type(exc).__name__
        return Score(None, False, f"{scorer.name} raised {detail}", error=True)


def score_outputs(
    store: RunStore,
    outputs: Sequence[ScoredOutput],
    scorers: Sequence[Scorer],
    *,
    per_group: bool = True,
    threads: int = 1,
    tried: set[ScoreKey] | None = None,
) -> ScoreRun:
    """Score outputs with every scorer, computing only what the store does not hold yet.

    Args:
        store: the run store keeping the scores.
        outputs: what to score.
        scorers: how.
        per_group: also run scorers that compare an output with its group (``distinct``);
            False while a sweep is still running and its groups are incomplete.
        threads: scores computed at once (model-graded scorers wait on the network).
        tried: keys that already failed in this pass (not tried again); new failures are added.
    """
    wanted = [
        (scorer, output, score_key(scorer, output))
        for output in outputs
        for scorer in scorers
        if per_group or not scorer.per_group
    ]
    known = store.scores.get_many(key for _, _, key in wanted)
    tried = set() if tried is None else tried
    missing = [
        (s, o, k)
        for s, o, k in {k: (s, o, k) for s, o, k in wanted}.values()
        if (k not in known or known[k].error) and k not in tried
    ]
    if not missing:
        return ScoreRun(0, len(wanted))

    def compute(item: tuple[Scorer, ScoredOutput, ScoreKey]) -> ScoreRecord | None:
        scorer, output, key = item
        score = run_scorer(scorer, output)
        if score.error:
            logger.warning("scoring %s with %s: %s", output.output_id, scorer.name, score.detail)
            tried.add(key)
        return ScoreRecord(
            key,
            output.output_id,
            score.value,
            score.passed,
            score.detail,
            score.tokens,
            score.cost,
            error=score.error,
        )

    if threads > 1 and len(missing) > 1:
        with concurrent.futures.ThreadPoolExecutor(threads, "phota-score") as pool:
            records = list(pool.map(compute, missing))
    else:
        records = [compute(item) for item in missing]
    store.scores.put_many(r for r in records if r is not None)
    return ScoreRun(len(missing), len(wanted) - len(missing))


def lookup(
    store: RunStore, outputs: Sequence[ScoredOutput], scorers: Sequence[Scorer]
) -> dict[tuple[str, str], ScoreRecord]:
    """The stored scores of these outputs by (output id, scorer name)."""
    keys = {(o.output_id, s.name): score_key(s, o) for o in outputs for s in scorers}
    found = store.scores.get_many(keys.values())
    return {pair: found[key] for pair, key in keys.items() if key in found}


def latest(store: RunStore, output_ids: Sequence[str]) -> dict[tuple[str, str], ScoreRecord]:
    """The newest stored score of each (output id, scorer name), whatever its parameters."""
    return {(r.output_id, r.key.scorer): r for r in store.scores.for_outputs(output_ids)}


def _warm_up() -> ScoreRun:
    """Import what the perceptual hash needs once, on the scoring thread, before any output."""
    import imagehash
    from PIL import Image

    from phota_widgets.experiments.scoring.metrics import STATS_PX

    imagehash.phash(Image.new("RGB", (STATS_PX, STATS_PX)))
    return ScoreRun(0, 0)


def worker_threads(scorers: Sequence[Scorer], concurrency: int) -> int:
    """Threads for scoring: the sweep's concurrency when a scorer waits on the network (a
    model), else 1: CPU-bound checks gain nothing from more threads on a few cores, and every
    extra thread holding the GIL slows the kernel's own cells."""
    if any(getattr(s, "waits_on_network", False) for s in scorers):
        return max(1, concurrency)
    return 1


class ScoringWorker:
    """Scores a running sweep's cells as they arrive, on threads of its own.

    Args:
        store: the run store (its runs, and where the scores go).
        scorers: the checks to run.
        threads: cells scored at once (the sweep's concurrency: model-graded scoring keeps up).
    """

    def __init__(self, store: RunStore, scorers: Sequence[Scorer], threads: int = 2) -> None:
        self.store = store
        self.scorers = list(scorers)
        self.threads = worker_threads(self.scorers, threads)
        self._pool = concurrent.futures.ThreadPoolExecutor(self.threads, "phota-score")
        self._futures: list[concurrent.futures.Future[ScoreRun]] = []
        self._lock = threading.Lock()
        self._closed = False
        self._tried: set[ScoreKey] = set()  # failed in this sweep: not asked twice in one run
        if any(s.per_group for s in self.scorers):  # imagehash (and scipy) load while the
            self._futures.append(self._pool.submit(_warm_up))  # first cells wait on the server

    def submit(self, info: CellInfo, run_id: str) -> None:
        """Score one answered cell's outputs (not per-group scorers: its group is growing)."""
        future = self._pool.submit(self._score_run, info, run_id)
        with self._lock:
            self._futures.append(future)

    def _score_run(self, info: CellInfo, run_id: str) -> ScoreRun:
        from phota_widgets.experiments.sweeps.cells import SweepCell

        cell = SweepCell(info, self.store.get(run_id), None)
        outputs = scored_outputs(self.store, [cell])
        return score_outputs(self.store, outputs, self.scorers, per_group=False, tried=self._tried)

    def finish(self, result: SweepResult) -> ScoreRun:
        """Wait for the cells submitted, then score everything left (per-group scorers too)."""
        with self._lock:
            pending = list(self._futures)
        for future in pending:
            try:
                future.result()
            except concurrent.futures.CancelledError:
                pass
            except Exception as exc:  # one cell's scoring failure must not lose the others
                logger.warning("scoring a cell failed: %s", redact(str(exc)))
        if self._closed:  # the sweep was stopped: what is left is scored by a later run
            return ScoreRun(0, 0)
        outputs = scored_outputs(self.store, result.cells)
        return score_outputs(
            self.store, outputs, self.scorers, threads=self.threads, tried=self._tried
        )

    def close(self) -> None:
        """Stop taking work (running scores finish; queued ones are dropped)."""
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
