"""Kill and resume: a process running 40 queued runs is SIGKILLed mid-way; a new Session on the
same folder resumes. No paid call is repeated, no image lost, no run left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import phota_widgets as pw
from phota_widgets.local import LocalServer

KEY = "sk-kill-resume-key"
RUNS = 40
ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import sys, time
    import phota_widgets as pw
    base_url, folder, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    session = pw.Session(base_url=base_url, output_dir=folder, max_concurrency=4)  # key: env
    futures = [session.submit_run("generate", prompt=f"run {i}") for i in range(runs)]
    print("queued", flush=True)
    while True:
        time.sleep(1)
    """
)


@pytest.mark.timeout(300)
def test_a_killed_process_loses_nothing_and_pays_nothing_twice(
    tmp_path: Path, wait_for: Callable[..., None]
) -> None:
    with LocalServer(api_key=KEY, queue_delay=0.4) as server:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PHOTA_API_KEY": KEY}  # never in argv
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, server.base_url, str(tmp_path), str(RUNS)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "queued"
            store = pw.RunStore(tmp_path)
            wait_for(lambda: store.count() == RUNS, "every run recorded")
            wait_for(lambda: store.count(status="succeeded") >= 6, "some runs done", 180)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        before = {r.run_id: r for r in store.runs()}
        store.close()
        statuses = [r.status for r in before.values()]
        assert "succeeded" in statuses and "running" in statuses  # killed mid-way, some queued
        jobs_before = set(server.state.jobs._jobs)

        with pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path) as again:
            if again.resuming is not None:
                again.resuming.result(timeout=180)
            runs = again.store.runs()
        assert len(runs) == RUNS
        assert not [r for r in runs if r.status in ("running", "submitted")]
        for run in runs:
            earlier = before[run.run_id]
            if earlier.status == "succeeded":  # nothing collected twice
                assert run.outputs == earlier.outputs
            if run.status == "succeeded":
                assert len(run.outputs) == 1 and run.outputs[0].path.exists()
            else:  # never sent: ended honestly, and the server never saw it
                assert run.status == "cancelled" and earlier.status == "running"
                assert run.client_request_id not in server.state.jobs._by_client_id
        jobs_after = set(server.state.jobs._jobs)
        submitted = [r for r in before.values() if r.status == "submitted"]
        # each job was submitted once: resuming reused the key or the job id it had
        assert len(jobs_after) == len({r.job_id for r in runs if r.job_id})
        assert len(jobs_after - jobs_before) <= len([r for r in submitted if r.job_id is None])
