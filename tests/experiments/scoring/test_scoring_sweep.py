"""Scoring real sweeps on the embedded server: columns, failures, caching, resume, YAML = Python."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest
from sweep_helpers import submits, wait_for

import phota_widgets as pw
from phota_widgets.experiments.scoring import ScoredOutput
from phota_widgets.experiments.sweeps.files import load_experiment, sweep_from_file
from phota_widgets.local import LocalServer

BUILTINS = ["aspect_ratio", "resolution", "count", {"max_cost": 0.5}, "sharpness", "exposure",
            "colourfulness", "distinct"]  # fmt: skip


class Counter:
    """A check that counts its calls (thread-safe: scoring runs on worker threads)."""

    def __init__(self, name: str = "landscape") -> None:
        self.__name__ = name  # its column: check.<name>
        self.calls: list[str] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, output: ScoredOutput) -> bool:
        with self._lock:
            self.calls.append(output.output_id)
            self.threads.add(threading.current_thread().name)
        return output.width >= output.height


def _sweep(session: pw.Session, checks: list[object], **extra: object) -> pw.SweepResult:
    return session.sweep(
        "generate",
        ["a {animal} at dusk"],
        vars={"animal": ["owl", "fox"]},
        aspect_ratio=["1:1", "9:16"],
        repeats=2,
        progress=False,
        checks=checks,
        **extra,
    )


def test_a_sweep_with_checks_has_score_columns_and_failures(session: pw.Session) -> None:
    wide = Counter("wide")
    res = _sweep(session, [*BUILTINS, wide])
    frame = res.to_dataframe()
    for name in ("aspect_ratio", "resolution", "count", "max_cost", "exposure", "distinct"):
        assert f"check.{name}" in frame.columns
    for name in ("sharpness", "colourfulness", "aspect_ratio", "distinct"):
        assert f"score.{name}" in frame.columns
    assert frame["check.wide"].tolist() == (frame["aspect_ratio"] == "1:1").tolist()
    assert frame["check.aspect_ratio"].tolist() == [True] * 8
    tall = frame["aspect_ratio"] == "9:16"
    assert frame.loc[tall, "score.aspect_ratio"].round(4).tolist() == [round(9 / 16, 4)] * 4
    assert frame["score.sharpness"].gt(0).all()
    # distinct compares each output with its repeat (the other output of its variant)
    assert frame["score.distinct"].notna().all()
    assert (frame["check.distinct"] == (frame["score.distinct"] >= 5)).all()
    for _, pair in frame.groupby("variant"):
        assert pair["score.distinct"].nunique() == 1  # the same distance seen from either side
    checks = [c for c in frame.columns if c.startswith("check.")]
    assert (frame["passed"] == frame[checks].all(axis=1)).all()
    failures = res.failures()
    checks_failed = {f.check for f in failures}
    assert "wide" in checks_failed and "aspect_ratio" not in checks_failed
    assert len(failures) == int((~frame[checks]).sum().sum())
    assert {f.output_id for f in failures if f.check == "wide"} == set(
        frame.loc[frame["aspect_ratio"] == "9:16", "output_id"]
    )
    assert len(wide.calls) == 8
    assert not any(t == threading.current_thread().name for t in wide.threads)
    assert all(t.startswith("phota-score") for t in wide.threads)


def test_reopening_or_running_again_computes_nothing(session: pw.Session) -> None:
    counter = Counter()
    res = _sweep(session, ["aspect_ratio", "sharpness", counter])
    assert len(counter.calls) == 8
    stored = session.store.scores.count()
    again = _sweep(session, ["aspect_ratio", "sharpness", counter])
    reopened = pw.SweepResult.load(session, res.sweep_id).score(["aspect_ratio", counter])
    assert len(counter.calls) == 8 and session.store.scores.count() == stored
    assert again.to_dataframe()["check.aspect_ratio"].tolist() == [True] * 8
    assert "check.aspect_ratio" in reopened.to_dataframe().columns
    # a reopened result without checks shows what the store holds
    plain = pw.SweepResult.load(session, res.sweep_id).to_dataframe()
    assert {"check.aspect_ratio", "score.sharpness", "passed"} <= set(plain.columns)
    # new parameters compute anew (only for that check)
    reopened.score([{"aspect_ratio": {"tolerance": 0.001}}, counter])
    assert len(counter.calls) == 8
    assert session.store.scores.count() > stored


def test_a_killed_sweeps_scores_resume(server: LocalServer, session: pw.Session) -> None:
    release = threading.Event()
    counter = Counter()
    first = counter.__call__
    finished: list[str] = []

    def slow(output: ScoredOutput) -> bool:  # the first 3 score at once, the rest wait
        answer = first(output)
        if len(counter.calls) > 3:
            assert release.wait(120)
        finished.append(output.output_id)
        return answer

    slow.__name__ = "landscape"
    prompts = [f"a lighthouse number {i}" for i in range(12)]
    handle = session.submit_sweep("generate", prompts, progress=False, checks=[slow])
    # scoring never blocks the sweep: every cell is answered while scores wait
    wait_for(lambda: handle.progress.done == 12, "every cell answered while scoring waits")
    assert len(finished) <= 3 and not handle.done()
    handle.cancel()
    wait_for(handle.done, "the cancel")
    release.set()
    wait_for(  # the scores under way end and are kept (one row per call)
        lambda: session.store.scores.count() == len(counter.calls), "the scores under way"
    )
    kept = session.store.scores.count()
    assert 3 <= kept < 12
    calls_before = len(counter.calls)
    paid = submits(server)
    res = session.sweep("generate", prompts, progress=False, checks=[slow])
    assert submits(server) == paid  # scoring adds no request to the Phota API
    assert res.to_dataframe()["check.landscape"].tolist() == [True] * 12
    # every output scored exactly once across the killed run and the resumed one
    assert sorted(counter.calls) == sorted(set(counter.calls)) and len(counter.calls) == 12
    assert len(counter.calls) - calls_before == 12 - kept


def test_the_yaml_path_and_the_python_path_give_the_same_columns(
    session: pw.Session, tmp_path: Path
) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(
        "name: owls\nendpoint: generate\nprompts: ['a {animal} at dusk']\n"
        "vars: {animal: [owl, fox]}\ngrid: {aspect_ratio: ['1:1', '16:9']}\n"
        "checks:\n  - aspect_ratio\n  - max_cost: 0.10\n  - sharpness: {min: 1}\n"
        "  - changed_fraction: {max: 0.3}\n"
    )
    from_file = sweep_from_file(session, path, progress=False)
    experiment = load_experiment(path)
    in_python = session.sweep(
        "generate",
        ["a {animal} at dusk"],
        vars={"animal": ["owl", "fox"]},
        aspect_ratio=["1:1", "16:9"],
        name="owls",
        progress=False,
        checks=[
            "aspect_ratio",
            {"max_cost": 0.10},
            {"sharpness": {"min": 1}},
            {"changed_fraction": {"max": 0.3}},
        ],
    )
    a, b = from_file.to_dataframe(), in_python.to_dataframe()
    assert list(a.columns) == list(b.columns)
    scored = [c for c in a.columns if c.startswith(("check.", "score.")) or c == "passed"]
    assert scored == [
        "check.aspect_ratio", "check.max_cost", "check.sharpness",
        "score.aspect_ratio", "score.max_cost", "score.sharpness", "passed",
    ]  # fmt: skip
    pd.testing.assert_frame_equal(a[scored], b[scored])
    assert [s.name for s in experiment.scorers()] == [
        "aspect_ratio",
        "max_cost",
        "sharpness",
        "changed_fraction",
    ]


def test_the_csv_has_the_score_columns(session: pw.Session, tmp_path: Path) -> None:
    res = _sweep(session, ["aspect_ratio", "sharpness"])
    table = pd.read_csv(res.to_csv(tmp_path / "out.csv"))
    assert {"check.aspect_ratio", "score.sharpness", "passed"} <= set(table.columns)
    assert table["check.aspect_ratio"].tolist() == [True] * 8


def test_a_bad_check_is_refused_before_anything_is_sent(
    server: LocalServer, session: pw.Session
) -> None:
    before = submits(server)
    with pytest.raises(pw.PhotaError, match="unknown check 'aspect'"):
        _sweep(session, ["aspect"])
    with pytest.raises(pw.PhotaError, match="unknown check"):
        session.submit_sweep("generate", ["x"], checks=["nope"], progress=False)
    assert submits(server) == before
