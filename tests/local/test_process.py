"""The embedded server in its own process: answers, stops with its owner, is never orphaned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import phota_widgets as pw
from phota_widgets.local import ServerProcess

DEADLINE = 60.0


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting to be reaped counts as stopped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_until(condition: object, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_serves_the_api_and_stops(tmp_path: Path) -> None:
    with ServerProcess(api_key="k", data_dir=tmp_path) as srv:
        pid = srv.pid
        assert pid is not None and pid != os.getpid()
        with pw.PhotaClient(api_key="k", base_url=srv.base_url) as client:
            assert len(client.generate("a red barn").images) == 1
        assert "k'" not in repr(srv) and "***" in repr(srv)
    assert not srv.running
    wait_until(lambda: not alive(pid), "the server process to end")


def test_the_key_is_not_on_the_command_line(tmp_path: Path) -> None:
    secret = "sk-never-on-argv-123"
    with ServerProcess(api_key=secret) as srv:
        assert srv.pid is not None
        argv = Path(f"/proc/{srv.pid}/cmdline").read_bytes()
        assert secret.encode() not in argv


def test_session_starts_its_server_in_a_process_and_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHOTA_API_KEY", raising=False)
    with pw.Session(output_dir=tmp_path) as s:
        server = s.local_server
        assert isinstance(server, ServerProcess)
        pid = server.pid
        assert pid is not None and pid != os.getpid()
        assert len(s.generate("a field").images) == 1
    assert not server.running
    wait_until(lambda: not alive(pid), "the session's server process to end")


PARENT = """
import sys, time
from phota_widgets.local import ServerProcess
srv = ServerProcess().start(wait=True)
print(srv.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("how", ["sigkill", "exit"])
def test_the_server_process_ends_when_its_parent_dies(how: str) -> None:
    code = PARENT if how == "sigkill" else PARENT.replace("time.sleep(600)", "")
    parent = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, env={**os.environ}, text=True
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert alive(child)
        if how == "sigkill":
            parent.send_signal(signal.SIGKILL)
        parent.wait(DEADLINE)
        wait_until(lambda: not alive(child), "the orphaned server process to end")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_a_child_that_cannot_start_is_reported() -> None:
    srv = ServerProcess(data_dir="/proc/no-such-place/profiles")
    srv.start()
    with pytest.raises(RuntimeError, match="failed to start"):
        srv.wait_ready(timeout=DEADLINE)
    assert not srv.running
