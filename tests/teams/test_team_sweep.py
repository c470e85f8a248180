"""Two processes run the same sweep on one PostgreSQL + S3 store: every cell once, nothing lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import s3fs
from teams_services import SharedStore

import phota_widgets as pw
from phota_widgets.local.server import LocalServer
from phota_widgets.store import RunStore

pytestmark = pytest.mark.timeout(600)  # real services and processes: slow on a busy machine
KEY = "team-key-0123456789"
WORKER = Path(__file__).with_name("sweep_worker.py")
CELLS = 8


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def worker(
    server: LocalServer, shared: SharedStore, folder: Path, *extra: str, **env: str
) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        "PHOTA_API_KEY": KEY,
        "PHOTA_STORE_INDEX": shared.index_url,
        "PHOTA_STORE_FILES": shared.files_url,
        "PHOTA_STORE_OPTIONS": json.dumps(shared.storage_options),
        "PYTHONPATH": os.pathsep.join(sys.path),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, str(WORKER), server.base_url, str(folder), *extra],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def outcome(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err[-3000:]
    answer: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    answer["log"] = err  # what the process logged (see sweep_worker.py): why, when a test fails
    return answer


def submits(server: LocalServer) -> int:
    return len(server.state.jobs._jobs)


def paid_once(
    server: LocalServer, shared: SharedStore, folder: Path, killed: float = 0, log: str = ""
) -> str:
    """Why the server holds more jobs than cells: each key it took, with the runs that sent it."""
    with RunStore(folder, index_url=shared.index_url) as store:
        runs = {r.client_request_id: r for r in store.runs()}
        claims = store.leases.under("cell/")
    lines = [f"{submits(server)} jobs for {CELLS} cells:"]
    for c in claims:
        lines.append(f"  claim {c.key[-12:]} {c.holder} {c.state} x{c.attempts} {c.run_id}")
    for key, job_id in server.state.jobs._by_client_id.items():
        run = runs.get(key)
        told = (
            f"{run.run_id} {run.status} {run.prompt!r} made {run.created_at - killed:+.2f}s"
            f" {run.note or ''} {run.error or ''}"
            if run
            else "no run"
        )
        lines.append(f"  {job_id} key {key[:8]}: {told}")
    return "\n".join([*lines, f"killed at {killed:.3f}; the processes logged:", log[-4000:]])


def check_store(tmp_path: Path, shared: SharedStore, cells: dict[str, str]) -> None:
    """Every cell answered by one succeeded run, each output's file in the bucket."""
    fs = s3fs.S3FileSystem(**shared.storage_options)
    with RunStore(
        tmp_path / "checker", index_url=shared.index_url, files_url=shared.files_url,
        storage_options=shared.storage_options,
    ) as store:  # fmt: skip
        runs = {r.run_id: r for r in store.runs(status="succeeded")}
        assert sorted(runs) == sorted(cells.values())
        for run in runs.values():
            assert run.outputs, run.run_id
            for output in run.outputs:
                assert fs.exists(f"{shared.files_url.removeprefix('s3://')}/{output.name}")
        claims = store.leases.under("cell/")
        assert len(claims) == CELLS and {c.state for c in claims} == {"done"}


def test_two_processes_run_each_cell_once(tmp_path: Path, shared: SharedStore) -> None:
    go = tmp_path / "go"
    with LocalServer(api_key=KEY, faults=pw.Faults(latency=0.3)) as server:
        first = worker(server, shared, tmp_path / "alice", PHOTA_TEST_GO=str(go))
        second = worker(server, shared, tmp_path / "bob", PHOTA_TEST_GO=str(go))
        for proc in (first, second):  # both ready (imports done, store open): then go
            assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
        go.touch()
        a, b = outcome(first), outcome(second)
        assert a["counts"] == b["counts"] == {"succeeded": CELLS}
        assert a["cells"] == b["cells"]  # both show the same answers
        assert len(set(a["cells"].values())) == CELLS
        assert submits(server) == CELLS  # every cell paid for once
        check_store(tmp_path, shared, a["cells"])
        with RunStore(tmp_path / "count", index_url=shared.index_url) as store:
            holders = {c.holder for c in store.leases.under("cell/")}
        assert len(holders) == 2  # the two processes shared the work


@pytest.mark.parametrize("machine", ["same", "other"])
def test_a_killed_process_has_its_cells_taken_over(
    tmp_path: Path, shared: SharedStore, machine: str
) -> None:
    """Killed mid-sweep: its submitted jobs are collected (not paid again), the rest run once.

    ``same``: the process is gone from this machine, so its claims are taken over at once.
    ``other``: it looks like another machine, so its claims are taken over when they expire.
    """
    extra = ("machine-a",) if machine == "other" else ()
    with LocalServer(api_key=KEY, faults=pw.Faults(latency=0.5)) as server:
        doomed = worker(server, shared, tmp_path / "doomed", *extra, PHOTA_CLAIM_TTL="3")
        with RunStore(
            tmp_path / "watch", index_url=shared.index_url, files_url=shared.files_url,
            storage_options=shared.storage_options,
        ) as watch:  # fmt: skip
            wait_for(lambda: watch.count(status="succeeded") >= 2, "two finished cells")
            wait_for(lambda: watch.count(status="submitted") >= 1, "a cell in flight")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=60)
        killed = time.time()
        assert doomed.stderr is not None
        doomed_log = doomed.stderr.read()
        accepted = submits(server)
        assert 2 <= accepted <= CELLS
        survivor = outcome(worker(server, shared, tmp_path / "survivor"))
        assert survivor["counts"] == {"succeeded": CELLS}
        logs = f"{doomed_log[-1500:]}\n(killed)\n{survivor['log']}"
        paid = paid_once(server, shared, tmp_path / "count", killed, logs)
        assert submits(server) == CELLS, paid
        check_store(tmp_path, shared, survivor["cells"])


def test_a_claim_running_out_after_the_collection_still_gets_its_run_collected(
    tmp_path: Path, shared: SharedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: a dead holder's claims are alive while the sweep collects earlier jobs, and run
    out just before it plans what to send. Its submitted jobs must still be collected (not
    left "submitted", not paid again)."""
    from phota_widgets.experiments.sweeps.runner import SweepRunner

    with LocalServer(api_key=KEY, faults=pw.Faults(latency=0.5)) as server:
        doomed = worker(server, shared, tmp_path / "doomed", "machine-a", PHOTA_CLAIM_TTL="600")
        with RunStore(
            tmp_path / "watch", index_url=shared.index_url, files_url=shared.files_url,
            storage_options=shared.storage_options,
        ) as watch:  # fmt: skip
            wait_for(lambda: watch.count(status="succeeded") >= 2, "two finished cells")
            wait_for(lambda: watch.count(status="submitted") >= 1, "a cell in flight")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=60)
        collect_earlier = SweepRunner._collect_earlier

        async def collect_then_expire(self: SweepRunner) -> None:
            await collect_earlier(self)  # the claims are alive: their jobs are left to them
            leases = self.session.store.leases
            held = [c for c in leases.under("cell/") if c.state == "held"]
            assert held and all(c.holder.startswith("machine-a:") for c in held)
            for claim in held:  # ... and run out now
                assert leases.release(claim.key, claim.holder)

        monkeypatch.setattr(SweepRunner, "_collect_earlier", collect_then_expire)
        with pw.Session(
            base_url=server.base_url, api_key=KEY, output_dir=tmp_path / "survivor",
            max_concurrency=2, index_url=shared.index_url, files_url=shared.files_url,
            storage_options=shared.storage_options,
        ) as survivor:  # fmt: skip
            prompts = [f"a lighthouse in fog, study {i}" for i in range(CELLS)]
            result = survivor.sweep("generate", prompts=prompts, aspect_ratio="4:3", progress=False)
            assert result.counts() == {"succeeded": CELLS}
            cells = {c.info.key: c.run.run_id for c in result.cells if c.run is not None}
        assert submits(server) == CELLS, paid_once(server, shared, tmp_path / "count")
        check_store(tmp_path, shared, cells)
