"""JupyterLab and Notebook 7 started by the tests: loopback, a token, throwaway settings, a temp
folder; stopped with SIGTERM, then SIGKILL for whatever is left (kernels included)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from process_trees import stop_tree

START_DEADLINE = 120.0
"""Seconds a server gets to answer on a busy machine."""
TOKEN = "phota-jupyter-test"


@dataclass
class JupyterServer:
    """A Jupyter server running: its base URL, its token and the folder it serves."""

    base: str
    token: str
    root: Path


def free_port() -> int:
    """A loopback port free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any PHOTA_ variable (offline), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTA_")}
    return env | extra


def serve_jupyter(
    app: str, root: Path, settings: Path, extra_args: tuple[str, ...] = ()
) -> Iterator[JupyterServer]:
    """Run ``python -m APP`` (``jupyterlab`` or ``notebook``) on ``root`` until the generator
    is closed; its config, settings and workspaces live under ``settings``."""
    port = free_port()
    env = clean_env(
        JUPYTER_CONFIG_DIR=str(settings / "config"),
        JUPYTERLAB_SETTINGS_DIR=str(settings / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(settings / "workspaces"),
        JUPYTER_TOKEN=TOKEN,
    )
    command = [sys.executable, "-m", app, "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--port-retries=0", f"--ServerApp.root_dir={root}", *extra_args]  # fmt: skip
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
                if httpx.get(f"{base}/api/status?token={TOKEN}", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, f"{app} ended"
            assert time.monotonic() < deadline, f"{app} did not answer"
            time.sleep(0.3)
        yield JupyterServer(base, TOKEN, root)
    finally:
        stop_tree(proc, signal.SIGTERM)
