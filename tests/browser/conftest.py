"""Real-browser fixtures: the system Chromium driven by Playwright, the Studio served by
``phota-widgets studio`` (Voila), and JupyterLab on a copy of notebooks/.

Everything is on 127.0.0.1; outside requests (CDN fonts) are aborted so pages load offline.
Screenshots for the README and the docs site are written to docs/ only when
``PHOTA_WRITE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import io
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from process_trees import sigint_as_default, stop_tree

import phota_widgets as pw
from phota_widgets.local import TrainingDurations

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).parent.parent.parent
NOTEBOOKS = ROOT / "notebooks"
DOCS = ROOT / "docs"
MAX_SCREENSHOT_BYTES = 300_000
START_DEADLINE = 120.0
KEY = "sk-planted-SECRET-1234567890"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless system Chromium (the tests are skipped, saying why, when it is missing).

    Module-scoped: Playwright's sync API keeps an event loop marked running on this thread while
    it is open, which later tests' ``asyncio.run()`` would trip over.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """``new_page(width=1280, height=900)``: a page in a fresh context (downloads accepted),
    offline for anything not on loopback."""
    contexts: list[Any] = []

    def make(width: int = 1280, height: int = 900) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height}, accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.route("https://**/*", lambda route: route.abort())  # no CDN: fail fast offline
        return page

    yield make
    for context in contexts:
        context.close()


@dataclass
class StudioApp:
    """``phota-widgets studio`` running: its URL and the folder holding notebook and runs."""

    url: str
    folder: Path


def _studio(folder: Path, env: dict[str, str]) -> Iterator[StudioApp]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "phota_widgets.cli", "studio", "--no-browser", "--dir", str(folder)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=sigint_as_default,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        deadline = time.monotonic() + START_DEADLINE
        seen = []
        while True:
            assert time.monotonic() < deadline, f"the Studio did not start: {''.join(seen)}"
            try:
                line = lines.get(timeout=1.0)
            except queue.Empty:
                assert proc.poll() is None, f"phota-widgets studio ended: {''.join(seen)}"
                continue
            seen.append(line)
            if line.startswith("Phota Studio"):
                break
        yield StudioApp(line.split(": ", 1)[1].strip(), folder)
    finally:
        stop_tree(proc, signal.SIGINT, polite_seconds=90)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTA_")}
    return env | extra


@pytest.fixture(scope="module")
def studio_app(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[StudioApp]:
    """``phota-widgets studio`` with no key: the embedded server answers."""
    yield from _studio(tmp_path_factory.mktemp("studio"), _env())


@pytest.fixture(scope="module")
def slow_studio(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[StudioApp]:
    """``phota-widgets studio`` with PHOTA_API_KEY set, on a server that answers after 3 s."""
    with pw.LocalServer(
        api_key=KEY, faults=pw.Faults(latency=3.0), training=TrainingDurations(0.1, 0.1, 0.1)
    ) as server:
        env = _env(PHOTA_API_KEY=KEY, PHOTA_BASE_URL=server.base_url)
        yield from _studio(tmp_path_factory.mktemp("slow-studio"), env)


@dataclass
class Lab:
    """JupyterLab on a copy of notebooks/: its base URL and token."""

    base: str
    token: str


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Lab]:
    """JupyterLab with throwaway settings, serving a copy of notebooks/ (no key: offline)."""
    pytest.importorskip("jupyterlab")
    base_dir = tmp_path_factory.mktemp("lab")
    root = base_dir / "notebooks"
    shutil.copytree(NOTEBOOKS, root)
    port, token = _free_port(), "phota-lab-test"
    env = _env(
        JUPYTER_CONFIG_DIR=str(base_dir / "config"),
        JUPYTERLAB_SETTINGS_DIR=str(base_dir / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(base_dir / "workspaces"),
        JUPYTER_TOKEN=token,
    )
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--port-retries=0", f"--ServerApp.root_dir={root}",
               "--LabApp.expose_app_in_browser=True"]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")
    proc = subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_DEADLINE
        while True:
            try:
                if httpx.get(f"{base}/api/status?token={token}", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "JupyterLab ended"
            assert time.monotonic() < deadline, "JupyterLab did not answer"
            time.sleep(0.3)
        yield Lab(base, token)
    finally:
        stop_tree(proc, signal.SIGTERM)


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[bytes, str], Path]:
    """``screenshot(png, name)``: keep it under 300 kB (fewer colours when needed), copy it to
    docs/ when ``PHOTA_WRITE_SCREENSHOTS=1``; returns the file written in tmp_path."""
    return lambda png, name: _save_screenshot(png, name, tmp_path)


def _save_screenshot(png: bytes, name: str, tmp_path: Path) -> Path:
    from PIL import Image

    if len(png) > MAX_SCREENSHOT_BYTES:
        image = Image.open(io.BytesIO(png)).convert("RGB")
        buffer = io.BytesIO()
        image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(
            buffer, "PNG", optimize=True
        )
        png = buffer.getvalue()
    assert len(png) < MAX_SCREENSHOT_BYTES, f"{name} is {len(png) / 1000:.0f} kB"
    shot = tmp_path / name
    shot.write_bytes(png)
    if os.environ.get("PHOTA_WRITE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS / name)
    return shot
