"""A cancel never pays twice: cancels (once, twice, thrice) at every point of a submit.

The embedded server holds a submit before or after accepting it (``state.holds``), so each cancel
lands where it is meant to, with no sleeps. After every cancel the run must be either ended
``cancelled`` with nothing accepted for it, or kept ``submitted`` with its key; collecting and
running again must then pay exactly one job per cell.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

import phota_widgets as pw
from phota_widgets.local import LocalServer
from phota_widgets.local.holds import HOLD_POINTS

KEY = "sk-cancel-twice-key"
POINTS = ("recorded", *HOLD_POINTS, "random")
"""Where a run is cancelled: as soon as it is recorded (before its key is), held at the server
before or after it accepts the submit, or at a random moment of the run (recording the key,
sending, recording the job id, polling, downloading)."""


async def _started(
    coro: Coroutine[Any, Any, Any], started: list[asyncio.Task[Any]]
) -> asyncio.Task[Any]:
    """Start ``coro`` as a task, known in ``started`` before its first step runs."""
    task = asyncio.ensure_future(coro)
    started.append(task)
    return task


def _cancel_times(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any], times: int) -> None:
    """Cancel ``task`` now, then again a few loop turns later (while it unwinds), and so on."""

    def cancel(left: int) -> None:
        if left < 1:
            return
        task.cancel()
        if left > 1:
            turns = random.randint(1, 4)
            later: Callable[[], None] = lambda: cancel(left - 1)  # noqa: E731
            for _ in range(turns):
                later = (lambda inner: lambda: loop.call_soon(inner))(later)
            loop.call_soon(later)

    loop.call_soon_threadsafe(cancel, times)


def _check_settled(session: pw.Session, server: LocalServer, run_id: str) -> None:
    record = session.store.get(run_id)
    assert record.status in ("cancelled", "submitted"), record.status
    assert record.client_request_id is not None
    accepted = server.state.jobs.by_client_request_id(record.client_request_id)
    if record.status == "cancelled":  # ended only when the server never took it
        assert accepted is None, f"run {run_id} is cancelled though job {accepted} was accepted"


@pytest.mark.timeout(600)
def test_cancels_at_every_point_of_a_submit_never_pay_twice(
    tmp_path: Path, wait_for: Callable[..., None]
) -> None:
    rng = random.Random(16)
    trials = 120
    with (
        LocalServer(api_key=KEY) as server,
        pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path, resume=False) as s,
    ):
        loop = s.loop.loop
        cells: dict[int, str] = {}  # cell -> its prompt
        counts = {"cancelled": 0, "submitted": 0}
        for i in range(trials):
            point = POINTS[i % len(POINTS)]
            times = 1 + (i // len(POINTS)) % 3
            prompt = f"cell {i}"
            cells[i] = prompt
            recorded: list[str] = []
            started: list[asyncio.Task[Any]] = []

            def on_recorded(
                run_id: str,
                point: str = point,
                recorded: list[str] = recorded,
                started: list[asyncio.Task[Any]] = started,
            ) -> None:
                recorded.append(run_id)
                if point == "recorded":  # on the loop, before the run's next step
                    started[0].cancel()

            held = point in HOLD_POINTS
            hold = server.state.holds.arm(point) if held else None  # type: ignore[arg-type]
            run = s.arun("generate", prompt=prompt, on_recorded=on_recorded)
            task = s.loop.run(_started(run, started))
            if hold is not None:
                assert hold.wait_reached(30), f"trial {i}: the submit never reached {point}"
            else:
                wait_for(lambda: bool(recorded), "the run recorded", 30)  # noqa: B023
                for _ in range(rng.randint(0, 30) if point == "random" else 0):
                    s.loop.run(asyncio.sleep(0))  # a random moment of the run
            _cancel_times(loop, task, times - (point == "recorded"))  # that one cancelled once
            if hold is not None:
                hold.release()
            wait_for(task.done, f"trial {i}: the cancelled run unwinding", 60)
            if not recorded:
                continue
            record = s.store.get(recorded[0])
            if record.status == "succeeded":  # a random cancel that came too late
                continue
            _check_settled(s, server, recorded[0])
            counts[record.status] += 1
        assert counts["submitted"] >= trials // 3 and counts["cancelled"] >= trials // 10, counts
        # the next run: collect what was kept, send again what was cancelled
        s.resume()
        done = {r.params["prompt"] for r in s.store.runs(status="succeeded")}
        for prompt in sorted(set(cells.values()) - done):
            s.generate(prompt)
        done = {r.params["prompt"] for r in s.store.runs(status="succeeded")}
        assert done == set(cells.values())
        assert len(server.state.jobs) == trials  # one job per cell: nothing paid twice
        assert not s.store.runs(status="submitted")


def _settled(session: pw.Session) -> bool:
    """No run is still on its way: each ended, or kept with its job (or its key, given up)."""
    return not session.store.runs(status="running") and all(
        r.job_id for r in session.store.runs(status="submitted")
    )


@pytest.mark.timeout(600)
def test_cancelling_a_sweep_handle_mid_submit_never_pays_twice(
    tmp_path: Path, wait_for: Callable[..., None]
) -> None:
    trials, animals = 16, ["owl", "fox", "cat"]
    with (
        LocalServer(api_key=KEY) as server,
        pw.Session(
            api_key=KEY,
            base_url=server.base_url,
            output_dir=tmp_path,
            resume=False,
            max_concurrency=2,
        ) as s,
    ):
        for trial in range(trials):
            point = HOLD_POINTS[trial % len(HOLD_POINTS)]
            sweep: dict[str, Any] = {
                "prompts": [f"a {{animal}}, take {trial}"],
                "vars": {"animal": animals},
                "progress": False,
            }
            hold = server.state.holds.arm(point)
            handle = s.submit_sweep("generate", **sweep)
            assert hold.wait_reached(30), f"trial {trial}: no submit reached {point}"
            handle.cancel()
            if trial % 4 >= 2:  # twice: the runner cancels its workers again as it unwinds
                handle.cancel()
            hold.release()
            wait_for(
                lambda: _settled(s),
                f"trial {trial}: the cancelled cells settling "
                f"{[(r.status, r.job_id, r.note, r.error) for r in s.store.runs()][:6]}",
                60,
            )
            result = s.sweep("generate", **sweep)  # the next run: collects, then sends the rest
            assert result.counts().get("succeeded") == len(animals), result.counts()
            assert len(server.state.jobs) == (trial + 1) * len(animals)  # jobs == cells


SWEEP_FILE = """\
name: cancel {trial}
endpoint: generate
prompts:
  - "a {{animal}} by the sea, take {trial}"
vars:
  animal: [owl, fox, cat, hen]
grid:
  resolution: 1K
"""


@pytest.mark.timeout(600)
def test_ctrl_c_to_the_sweep_command_mid_submit_never_pays_twice(
    tmp_path: Path, wait_for: Callable[..., None]
) -> None:
    import os
    import signal
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    cells, trials = 4, 4
    with LocalServer(api_key=KEY) as server:
        env = {
            **os.environ,
            "PYTHONPATH": str(root),
            "PHOTA_API_KEY": KEY,  # in the environment, never on a command line
            "PHOTA_BASE_URL": server.base_url,
        }
        for trial in range(trials):
            path = tmp_path / f"cancel{trial}.yaml"
            path.write_text(SWEEP_FILE.format(trial=trial), encoding="utf-8")
            command = [sys.executable, "-m", "phota_widgets.cli", "sweep", str(path)]
            command += ["--out", str(tmp_path / f"out{trial}")]
            hold = server.state.holds.arm(HOLD_POINTS[trial % len(HOLD_POINTS)])
            child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
            try:
                assert hold.wait_reached(60), f"trial {trial}: no submit was held"
                child.send_signal(signal.SIGINT)
                if trial >= 2:  # Ctrl-C twice
                    child.send_signal(signal.SIGINT)
                hold.release()
                child.wait(timeout=60)
            finally:
                hold.release()
                if child.poll() is None:
                    child.kill()
                    child.wait()
            again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
            assert again.returncode == 0, again.stderr[-2000:]
            assert len(server.state.jobs) == (trial + 1) * cells  # jobs == cells, every time
