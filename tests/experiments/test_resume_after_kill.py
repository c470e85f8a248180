"""A sweep whose process is SIGKILLed mid-way resumes: no finished call repeated, no image lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sweep_helpers import KEY, submits, wait_for

import phota_widgets as pw
from phota_widgets.local import LocalServer

PROMPTS = [f"a paper boat number {i}" for i in range(10)]

CHILD = """
import os, sys
import phota_widgets as pw
s = pw.Session(base_url=sys.argv[1], output_dir=sys.argv[2], max_concurrency=2)
s.sweep("generate", prompts=[f"a paper boat number {i}" for i in range(10)],
        aspect_ratio="4:3", progress=False)
print("finished")
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_sweep_resumes_without_paying_twice(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    with LocalServer(api_key=KEY, faults=pw.Faults(latency=0.4)) as slow:
        env = {**os.environ, "PHOTA_API_KEY": KEY, "PYTHONPATH": os.pathsep.join(sys.path)}
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, slow.base_url, str(runs)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            store_ready = runs / "runs.sqlite3"
            wait_for(store_ready.exists, "the child's run store", timeout=120)
            reader = pw.RunStore(runs)
            try:
                wait_for(lambda: reader.count(status="succeeded") >= 3, "three finished cells", 120)
            finally:
                reader.close()
            child.send_signal(signal.SIGKILL)
        finally:
            child.wait(timeout=60)
        assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""
        accepted = submits(slow)
        assert 3 <= accepted <= len(PROMPTS)
        with pw.Session(api_key=KEY, base_url=slow.base_url, output_dir=runs) as s:
            before = {r.run_id: r.status for r in s.store.runs()}
            assert 3 <= sum(status == "succeeded" for status in before.values()) < len(PROMPTS)
            result = s.sweep("generate", prompts=PROMPTS, aspect_ratio="4:3", progress=False)
            assert result.counts() == {"succeeded": len(PROMPTS)}
            # every accepted job was collected, never submitted again; new cells once each
            assert submits(slow) == len(PROMPTS)
            frame = result.to_dataframe()
            assert len(frame) == len(PROMPTS) and frame["output_id"].is_unique
            assert all(Path(p).is_file() for p in frame["path"])
            for run_id, status in before.items():
                if status == "succeeded":  # finished before the kill: kept, linked, not re-run
                    assert run_id in set(frame["run_id"])


def test_a_dead_holders_unlinked_claim_is_closed_once_its_cell_is_answered(
    session: pw.Session,
) -> None:
    """A holder killed between recording its run and linking the claim to it leaves the claim
    held with no run; once the cell is answered (its run collected by a resume), the next sweep
    closes that claim with the run that answered, instead of leaving it held for ever."""
    from phota_widgets.experiments.sweeps.runner import claim_key

    first = session.sweep("generate", prompts=["a paper boat at dawn"], progress=False)
    (cell,) = first.cells
    assert cell.run is not None
    key = claim_key(cell.info.key)
    leases = session.store.leases
    leases.forget_done(key)
    assert leases.claim(key, "machine-a:1:dead", ttl=0.01)  # held, never linked, soon expired

    def expired() -> bool:
        claim = leases.get(key)
        return claim is not None and claim.expired()

    wait_for(expired, "the dead holder's claim to run out")
    again = session.sweep("generate", prompts=["a paper boat at dawn"], progress=False)
    assert again.counts() == {"succeeded": 1}
    claim = leases.get(key)
    assert claim is not None and claim.state == "done" and claim.run_id == cell.run.run_id
