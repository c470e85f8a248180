"""``phota-widgets studio``: serves the Studio on loopback, prints the URL, and on Ctrl-C or SIGTERM
stops with no server, kernel or embedded server left behind."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from process_trees import sigint_as_default, stop_tree

from phota_widgets.app.launcher import StudioServer, open_browser, run_studio

START_DEADLINE = 120.0
_STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _nothing_left_running() -> Iterator[None]:
    """Whatever a test's own stop left running (a failed assertion, an ignored signal) ends."""
    yield
    while _STARTED:
        stop_tree(_STARTED.pop(), None)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PHOTA_")}


def _start(folder: Path, *extra: str) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "phota_widgets.cli", "studio", "--no-browser", "--dir", str(folder),
         *extra],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=sigint_as_default,  # Ctrl-C means Ctrl-C, also under a background shell
    )  # fmt: skip
    _STARTED.append(proc)
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return proc, lines


def _line_with(lines: queue.Queue[str], text: str, seen: list[str]) -> str:
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1.0)
        except queue.Empty:
            continue
        seen.append(line)
        if text in line:
            return line
    pytest.fail(f"no line with {text!r} within {START_DEADLINE:.0f} s: {''.join(seen)}")


def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _tree(pid: int) -> list[psutil.Process]:
    return [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]


def _wait_for(check: object, timeout: float) -> bool:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return bool(check())


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_studio_serves_the_app_and_stops_with_its_whole_process_tree(
    tmp_path: Path, stop: signal.Signals
) -> None:
    proc, lines = _start(tmp_path / "studio")
    seen: list[str] = []
    try:
        url = _line_with(lines, "Phota Studio", seen).split(": ", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:") and "/?token=" in url
        assert httpx.get(url.split("?", 1)[0], timeout=30).status_code == 302  # no token: login
        page = httpx.get(url, timeout=START_DEADLINE)  # renders the notebook: starts a kernel
        assert page.status_code == 200
        assert (
            "Phota Studio" in page.text and "application/vnd.jupyter.widget-view+json" in page.text
        )
        assert "phota-widgets: no Phota API key" not in page.text  # no raw stdout banner
        tree = _tree(proc.pid)
        kernels = [p for p in tree if "ipykernel" in " ".join(p.cmdline())]
        assert kernels, [p.cmdline() for p in tree]
        assert (tmp_path / "studio" / "studio.ipynb").exists()
        assert _wait_for(lambda: (tmp_path / "studio" / "phota-runs").is_dir(), 60)
        tree = _tree(proc.pid)  # again: the kernel's session may have started more by now
    finally:
        proc.send_signal(stop)
        code = proc.wait(timeout=90)
    assert code == 0
    assert _wait_for(lambda: all(_gone(p) for p in tree), 30), [
        p.cmdline() for p in tree if not _gone(p)
    ]
    port = int(url.split("?", 1)[0].rsplit(":", 1)[1].strip("/"))
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), 1):
        pass


def test_a_killed_launcher_takes_its_server_along(tmp_path: Path) -> None:
    proc, lines = _start(tmp_path / "killed")
    seen: list[str] = []
    try:
        _line_with(lines, "Phota Studio", seen)
        tree = _tree(proc.pid)
        assert len(tree) >= 2  # the launcher and Voila
    finally:
        proc.kill()  # no chance to clean up: the server must notice on its own
        proc.wait(timeout=30)
    assert _wait_for(lambda: all(_gone(p) for p in tree), 60), [
        p.cmdline() for p in tree if not _gone(p)
    ]


def test_studio_lab_opens_the_notebook_in_jupyterlab_and_stops_cleanly(tmp_path: Path) -> None:
    proc, lines = _start(tmp_path / "lab", "--lab")
    seen: list[str] = []
    try:
        url = _line_with(lines, "Phota Studio", seen).split(": ", 1)[1].strip()
        assert "/lab/tree/studio.ipynb?token=" in url
        assert httpx.get(url, timeout=60).status_code == 200
        no_token = url.split("?", 1)[0].replace("/lab/tree/studio.ipynb", "/api/contents")
        assert httpx.get(no_token, timeout=30).status_code == 403  # the token guards it
        tree = _tree(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=90)
    assert code == 0
    assert _wait_for(lambda: all(_gone(p) for p in tree), 30)


def test_a_taken_port_is_refused_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert run_studio(tmp_path, port=port, browser=False) == 1
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is in use" in err
    assert not (tmp_path / "voila.log").exists()  # nothing was started


def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    server = StudioServer(tmp_path)
    server._command = lambda: [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"]  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match=r"did not start:\n.*boom"):
        server.start(timeout=30)
    assert not server.running


def test_no_browser_is_tried_without_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    assert open_browser("http://127.0.0.1:1/") is False and opened == []
    monkeypatch.setenv("DISPLAY", ":0")
    assert open_browser("http://127.0.0.1:1/") is True and opened == ["http://127.0.0.1:1/"]


@pytest.mark.parametrize(
    ("flags", "says"),
    [(["--max-kernels", "-1"], "max_kernels must be 0"), (["--cull-after", "0"], "at least 1")],
)
def test_bad_limits_are_refused_in_words(
    flags: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from phota_widgets.cli import main

    assert main(["studio", "--no-browser", "--dir", str(tmp_path), *flags]) == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / "voila.log").exists()


def test_the_server_settings_lock_it_to_its_owner() -> None:
    from phota_widgets.app.guard import StudioLimits

    voila = StudioLimits(max_kernels=3, cull_after=60).voila_config()
    assert voila["Voila"]["tornado_settings"]["allow_remote_access"] is False
    assert voila["Voila"]["auto_token"] is True and "token" not in voila["Voila"]
    assert voila["CappedKernelManager"]["max_kernels"] == 3
    assert voila["MappingKernelManager"]["cull_idle_timeout"] == 60
    lab = StudioLimits().lab_config()
    assert lab["ServerApp"]["allow_remote_access"] is False
