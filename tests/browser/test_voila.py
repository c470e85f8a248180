"""Real browser: the Studio served by Voila, driven by Playwright in the system Chromium.

Marked ``browser``; skipped (with the reason) when Chromium, Voila or Playwright is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NOTEBOOKS = Path(__file__).parent.parent.parent / "notebooks"
SHOTS = Path(os.environ.get("PHOTA_SHOTS", "/tmp"))
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
def voila(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Voila serving a copy of notebooks/ on loopback, with no Phota key (embedded server)."""
    pytest.importorskip("voila")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    root = tmp_path_factory.mktemp("voila")
    shutil.copytree(NOTEBOOKS, root, dirs_exist_ok=True)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTA_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voila",
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            f"--Voila.root_dir={root}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("Voila did not start within 60 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_studio_generates_in_a_real_browser(voila: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("https://**/*", lambda route: route.abort())  # offline: no CDN
            page.goto(f"{voila}/voila/render/studio.ipynb", timeout=90_000)
            panel = page.locator(".phota-generate-panel")
            prompt = panel.locator(".phota-prompt textarea")
            prompt.wait_for(timeout=90_000)
            prompt.fill("a red boat at sunset")
            panel.locator("button.phota-run").click()
            thumbs = panel.locator("img.phota-thumb")
            thumbs.first.wait_for(timeout=60_000)
            assert thumbs.count() >= 1
            # the thumbnail shows as the image arrives; the status says done once it is recorded
            panel.locator(".phota-status", has_text="done").wait_for(timeout=60_000)

            # pick the output, send it to Edit, and edit it there
            panel.locator(".phota-select").first.click()
            send_to = panel.locator(".phota-send-to select")
            send_to.wait_for(timeout=10_000)
            send_to.select_option(label="Edit")
            panel.locator("button.phota-send").click()
            page.get_by_role("tab", name="Edit").click()
            edit = page.locator(".phota-edit-panel")
            edit.locator(".phota-input-thumbs img").first.wait_for(timeout=10_000)
            edit.locator(".phota-prompt textarea").fill("black and white, crop to 1:1")
            edit.locator("button.phota-run").click()
            edit.locator("img.phota-thumb").first.wait_for(timeout=60_000)
            edit.locator(".phota-status", has_text="done").wait_for(timeout=60_000)
            page.screenshot(path=str(SHOTS / "studio.png"))
        finally:
            browser.close()
