"""Key press to next pair in a real browser: the review panel served by Voila, driven by the
system Chromium through Playwright, the next pair's thumbnails sent ahead (pre-fetch on).

For each pair: ``1`` (a verdict), wait until the kernel revealed the settings, then ``n``. The
figure is what the page measured: from the key event's time stamp to the frame after the one
that first painted both new images (decoded). Beside it, the time until the kernel's counter
showed the new pair (the whole round trip, as Playwright sees it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness import Config, Figure, skipped

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NAME = "key press to next pair in a real browser (pre-fetch on, Voila + Chromium)"
TARGET = "< 150 ms"
CELL = """import phota_widgets as pw
session = pw.Session(output_dir="runs", resume=False)
result = session.sweep("generate", prompts={prompts!r},
                       aspect_ratio=["1:1", "3:4", "4:3", "9:16", "16:9"], progress=False)
result.review(judge="bench", seed=0)
"""


def _notebook(folder: Path, prompts: list[str]) -> None:
    cell: dict[str, Any] = {
        "cell_type": "code",
        "metadata": {},
        "outputs": [],
        "execution_count": None,
        "source": CELL.format(prompts=prompts),
    }
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook = {"cells": [cell], "metadata": {"kernelspec": kernel}, "nbformat": 4,
                "nbformat_minor": 5}  # fmt: skip
    (folder / "review.ipynb").write_text(json.dumps(notebook))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _voila(folder: Path) -> Iterator[str]:
    port = _port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTA_")}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parent.parent), env.get("PYTHONPATH", "")]
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "voila", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
         f"--Voila.root_dir={folder}"],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Voila did not start")
            time.sleep(0.3)
        yield f"{base}/voila/render/review.ipynb"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _drive(page: Any, pairs: int) -> tuple[list[float], list[float]]:
    """Judge every pair; return (page-measured, Playwright-seen) seconds per next pair."""
    keys = page.locator(".phota-review-keys")
    progress = page.locator(".phota-review-progress")
    page.locator("img.phota-review-image").nth(1).wait_for(timeout=180_000)
    page.wait_for_function("() => !!document.activeElement?.closest('.phota-review-panel')")
    in_page, seen = [], []
    for number in range(1, pairs):
        page.keyboard.press("1")
        progress.filter(has_text=f"{number} judged").wait_for(timeout=60_000)
        page.get_by_text("settings revealed").wait_for(timeout=60_000)
        page.evaluate("(el) => { delete el.dataset.keyToPairMs; }", keys.element_handle())
        started = time.perf_counter()
        page.keyboard.press("n")
        progress.filter(has_text=f"Pair {number + 1} of {pairs}").wait_for(timeout=60_000)
        seen.append(time.perf_counter() - started)
        page.wait_for_function("(el) => el.dataset.keyToPairMs", arg=keys.element_handle())
        in_page.append(float(keys.get_attribute("data-key-to-pair-ms") or "nan") / 1000)
    return in_page, seen


def run(config: Config) -> list[Figure]:
    """The key-to-next-pair time, measured in the page and as Playwright sees the round trip."""
    if not Path(CHROMIUM).exists():
        return [skipped(NAME, TARGET, "Chromium is not installed")]
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return [skipped(NAME, TARGET, "Playwright is not installed")]
    prompts = ["a lighthouse at dusk"] if config.quick else ["a lighthouse", "a red kite"]
    pairs = 10 * len(prompts)  # five aspect ratios: ten pairs per prompt
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _notebook(folder, prompts)
        with _voila(folder) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            try:
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.route("https://**/*", lambda route: route.abort())
                page.goto(url, timeout=180_000)
                in_page, seen = _drive(page, pairs)
            finally:
                browser.close()
    value, round_trip = statistics.median(in_page), statistics.median(seen)
    return [
        Figure(NAME, value, 0.15, "s", TARGET, value < 0.15,
               note=f"median of {len(in_page)}, worst {max(in_page) * 1000:.0f} ms; key event "
               "to the frame after the one painting both images"),
        Figure("key press to the kernel's counter on the next pair (round trip, Playwright)",
               round_trip, 0.15, "s", "-", None,
               note=f"median of {len(seen)}, worst {max(seen) * 1000:.0f} ms"),
    ]  # fmt: skip
