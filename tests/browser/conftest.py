"""Real-browser fixtures: the system Chromium driven by Playwright, the Studio served by
``phota-widgets studio`` (Voila), JupyterLab on a copy of notebooks/ and Notebook 7 on an empty
folder (both from :mod:`jupyter_servers`).

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
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jupyter_servers import JupyterServer, clean_env, serve_jupyter
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
    log: list[str]
    """Every line ``phota-widgets studio`` printed so far (its server logs to voila.log)."""
    pid: int
    """The Studio's process (its kernels are its children)."""


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
    log: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.append(line)
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
        yield StudioApp(line.split(": ", 1)[1].strip(), folder, log, proc.pid)
    finally:
        stop_tree(proc, signal.SIGINT, polite_seconds=90)


@pytest.fixture(scope="module")
def studio_app(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[StudioApp]:
    """``phota-widgets studio`` with no key: the embedded server answers."""
    yield from _studio(tmp_path_factory.mktemp("studio"), clean_env())


@pytest.fixture(scope="module")
def slow_studio(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[StudioApp]:
    """``phota-widgets studio`` with PHOTA_API_KEY set, on a server that answers after 3 s."""
    with pw.LocalServer(
        api_key=KEY, faults=pw.Faults(latency=3.0), training=TrainingDurations(0.1, 0.1, 0.1)
    ) as server:
        env = clean_env(PHOTA_API_KEY=KEY, PHOTA_BASE_URL=server.base_url)
        yield from _studio(tmp_path_factory.mktemp("slow-studio"), env)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[JupyterServer]:
    """JupyterLab with throwaway settings, serving a copy of notebooks/ (no key: offline)."""
    pytest.importorskip("jupyterlab")
    base_dir = tmp_path_factory.mktemp("lab")
    root = base_dir / "notebooks"
    shutil.copytree(NOTEBOOKS, root)
    yield from serve_jupyter("jupyterlab", root, base_dir, ("--LabApp.expose_app_in_browser=True",))


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[JupyterServer]:
    """Notebook 7 with throwaway settings, serving an empty folder (no key: offline)."""
    notebook = pytest.importorskip("notebook")
    assert notebook.__version__.startswith("7."), f"Notebook {notebook.__version__}, not 7"
    base_dir = tmp_path_factory.mktemp("notebook7")
    root = base_dir / "notebooks"
    root.mkdir()
    yield from serve_jupyter("notebook", root, base_dir)


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
