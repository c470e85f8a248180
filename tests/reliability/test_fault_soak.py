"""Fault soak: 300 runs through one Session (concurrency 8) against a faulty embedded server.

20% 503, 5% 429 with Retry-After, 3% dropped connections and random latency. Every run must end
succeeded (or in a clear error, then be collected by resume), be stored exactly once with its
files, and the server must have seen no job submitted twice.
"""

from __future__ import annotations

import concurrent.futures
import random
from pathlib import Path

import pytest

import phota_widgets as pw
from phota_widgets.api.retry import RetryPolicy
from phota_widgets.local import Faults, LocalServer

RUNS = 300
KEY = "sk-soak-key-0001"


def _params(i: int, photo: bytes, rng: random.Random) -> tuple[str, dict[str, object]]:
    """Mostly generate (cheap to render), with every other endpoint mixed in."""
    roll = rng.random()
    if roll < 0.04:
        return "edit", {"prompt": f"warmer {i}", "images": [photo]}
    if roll < 0.07:
        return "enhance", {"image": photo}
    if roll < 0.10:
        return "remix", {"input_image": photo, "reference_image": photo}
    return "generate", {"prompt": f"a boat number {i}", "num_output_images": 2 if i % 5 == 0 else 1}


@pytest.mark.timeout(600)
def test_300_runs_through_faults_end_well_once_each(
    tmp_path: Path, small_photo: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("phota_widgets.session.lifecycle.COLLECT_DELAYS", (0.2, 0.5))
    faults = Faults(
        rate_503=0.20, rate_429=0.05, drop_rate=0.03, latency=0.005, jitter=0.03,
        retry_after=0.05, seed=7,
    )  # fmt: skip
    rng = random.Random(11)
    with (
        LocalServer(api_key=KEY, faults=faults) as server,
        pw.Session(
            api_key=KEY, base_url=server.base_url, output_dir=tmp_path, max_concurrency=8
        ) as session,
    ):
        session.aclient.transport.retry = RetryPolicy(max_retries=4, max_delay=0.2)
        futures = []
        for i in range(RUNS):
            endpoint, params = _params(i, small_photo, rng)
            futures.append(session.submit_run(endpoint, **params))
        done, _ = concurrent.futures.wait(futures, timeout=480)
        assert len(done) == RUNS, "some runs never ended"
        errors = [f.exception() for f in futures if f.exception() is not None]
        for error in errors:  # a clear error from the toolkit's own tree, never a raw one
            assert isinstance(error, pw.PhotaError), repr(error)
            assert "resume" in str(error), str(error)
        if errors:
            session.resume()  # interrupted runs are collected, without paying twice
        runs = session.store.runs()
        assert len(runs) == RUNS  # each run recorded exactly once
        failed = [(r.status, r.error) for r in runs if r.status != "succeeded"]
        assert not failed, failed[:5]
        for run in runs:
            wanted = run.params.get("num_output_images", 1)
            assert len(run.outputs) == wanted and all(o.path.exists() for o in run.outputs)
        assert len({r.client_request_id for r in runs}) == RUNS
        jobs = server.state.jobs._jobs
        assert len(jobs) == RUNS  # one job per run: nothing was submitted (or paid) twice
        assert {r.job_id for r in runs} == set(jobs)
