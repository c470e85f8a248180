"""A Session's concurrency limit holds on the server: at most max_concurrency jobs run there."""

from __future__ import annotations

import time
from pathlib import Path

import phota_widgets as pw
from phota_widgets.api.models import JobStatus
from phota_widgets.local import LocalServer

ENDED = (JobStatus.SUCCEEDED, JobStatus.FAILED)


def test_at_most_max_concurrency_jobs_run_on_the_server_at_once(tmp_path: Path) -> None:
    with (
        LocalServer(api_key="k", processing=0.3) as srv,
        pw.Session(api_key="k", base_url=srv.base_url, output_dir=tmp_path, max_concurrency=2) as s,
    ):
        futures = [s.submit_run("generate", prompt=f"boat {i}") for i in range(5)]
        most = 0
        deadline = time.monotonic() + 120
        while not all(f.done() for f in futures) and time.monotonic() < deadline:
            jobs = list(srv.state.jobs._jobs.values())
            most = max(most, sum(job.status not in ENDED for job in jobs))
            time.sleep(0.005)
        assert all(len(f.result(timeout=60).images) == 1 for f in futures)
        assert 1 <= most <= 2
        assert len(srv.state.jobs._jobs) == 5
