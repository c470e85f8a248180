"""``phota-widgets studio`` belongs to whoever started it: a token (then a cookie), loopback Host
names only, a cap on kernels said in the page, idle kernels culled, and Ctrl-C ends every process
within seconds however many kernels run."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from process_trees import sigint_as_default

START_DEADLINE = 120.0
STOP_DEADLINE = 20.0
"""Ctrl-C to no process left, whatever the number of kernels (measured: ~3-6 s with four)."""


@dataclass
class Running:
    proc: subprocess.Popen[str]
    url: str
    folder: Path

    @property
    def base(self) -> str:
        return self.url.split("?", 1)[0]

    @property
    def port(self) -> int:
        return int(self.base.rstrip("/").rsplit(":", 1)[1])

    @property
    def token(self) -> str:
        return self.url.split("token=", 1)[1]

    def kernels(self) -> list[psutil.Process]:
        try:
            tree = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        return [p for p in tree if _alive(p) and "ipykernel" in " ".join(_cmdline(p))]


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_for(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def _start(folder: Path, *extra: str) -> Running:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTA_", "JUPYTER_TOKEN"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "phota_widgets.cli", "studio", "--no-browser", "--dir",
         str(folder), *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=sigint_as_default,  # Ctrl-C means Ctrl-C, also under a background shell
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1.0)
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        if line.startswith("Phota Studio"):
            return Running(proc, line.split(": ", 1)[1].strip(), folder)
    proc.kill()
    pytest.fail(f"the Studio did not start: {''.join(seen)}")


def _stop(running: Running) -> None:
    if running.proc.poll() is None:
        running.proc.send_signal(signal.SIGINT)
        running.proc.wait(timeout=90)


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(*extra: str) -> Running:
        started.append(_start(tmp_path / f"studio{len(started)}", *extra))
        return started[-1]

    yield start
    for running in started:
        _stop(running)


def test_no_token_no_studio_and_a_foreign_host_is_refused(
    studio: Callable[..., Running],
) -> None:
    app = studio("--max-kernels", "1")
    assert "?token=" in app.url and len(app.token) >= 24
    with httpx.Client(timeout=START_DEADLINE) as anonymous:
        refused = anonymous.get(app.base)  # no token: sent to the login page, no kernel
        assert refused.status_code == 302 and "/login" in refused.headers["location"]
        assert anonymous.get(app.base + "?token=wrong").status_code == 302
        assert app.kernels() == []
        rebinding = anonymous.get(app.url, headers={"Host": "evil.example"})
        assert rebinding.status_code == 403  # a DNS-rebinding page cannot drive it
        assert anonymous.get(app.url, headers={"Host": "evil.example:80"}).status_code == 403
        assert app.kernels() == []
    # the token opens it and leaves a cookie, so later requests need no token
    with httpx.Client(timeout=START_DEADLINE) as owner:
        first = owner.get(app.url)
        assert first.status_code == 200 and "Phota Studio" in first.text
        assert owner.cookies, "no login cookie after the first visit"
        again = owner.get(app.base)  # no token: the cookie lets it in, only the cap refuses
        assert again.status_code == 429
        named = owner.get(app.url, headers={"Host": f"localhost:{app.port}"})
        assert named.status_code == 429  # "localhost" passes the Host check (refused by the cap)
    token_arguments = [
        p for p in psutil.Process(app.proc.pid).children(recursive=True)
        if app.token in " ".join(_cmdline(p))
    ]  # fmt: skip
    assert token_arguments == []  # the token is in no command line
    assert app.token not in (app.folder / "voila.log").read_text()  # nor in the server's log


def test_kernels_are_capped_with_a_sentence_and_idle_ones_culled(
    studio: Callable[..., Running],
) -> None:
    app = studio("--max-kernels", "2", "--cull-after", "5")
    with httpx.Client(timeout=START_DEADLINE) as owner:
        with ThreadPoolExecutor(2) as pool:
            pages = list(pool.map(lambda _: owner.get(app.url), range(2)))
        assert [p.status_code for p in pages] == [200, 200]
        assert len(app.kernels()) == 2
        full = owner.get(app.url)
        assert full.status_code == 429
        assert "already open in 2 pages" in full.text and "Close a Studio tab" in full.text
        assert len(app.kernels()) == 2  # nothing more was started
        # nobody opened a websocket: both kernels are idle and disconnected, so they are culled
        assert _wait_for(lambda: app.kernels() == [], 90), [_cmdline(k) for k in app.kernels()]
        assert "Culling" in (app.folder / "voila.log").read_text()
        assert owner.get(app.url).status_code == 200  # a place is free again


def test_ctrl_c_with_several_kernels_ends_every_process_within_seconds(
    studio: Callable[..., Running],
) -> None:
    app = studio("--max-kernels", "4")
    with httpx.Client(timeout=START_DEADLINE) as owner, ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(lambda _: owner.get(app.url).status_code, range(4)))
    assert codes == [200] * 4
    # each kernel's Session starts an embedded server process: wait for them too
    assert _wait_for(lambda: len(app.kernels()) == 4, 60)
    tree = [psutil.Process(app.proc.pid), *psutil.Process(app.proc.pid).children(recursive=True)]
    assert len(tree) >= 6, [_cmdline(p) for p in tree]
    began = time.monotonic()
    app.proc.send_signal(signal.SIGINT)
    assert app.proc.wait(timeout=90) == 0
    assert _wait_for(lambda: not any(_alive(p) for p in tree), STOP_DEADLINE), [
        _cmdline(p) for p in tree if _alive(p)
    ]
    took = time.monotonic() - began
    assert took < STOP_DEADLINE, f"stopping took {took:.1f} s"
    print(f"stopped {len(tree)} processes (4 kernels) in {took:.1f} s")
