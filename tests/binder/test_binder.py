"""Replays what Binder does: a fresh virtual environment (no system packages), ``pip install -r
binder/requirements.txt`` from the repository root, every notebook run in a kernel from that
environment, and the Studio served by that environment's Voila at Binder's app address.

Marked ``binder`` (CI runs it); pip's cache keeps the install to about a minute after the first.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from process_trees import stop_tree

pytestmark = [pytest.mark.binder, pytest.mark.slow, pytest.mark.timeout(1500)]

ROOT = Path(__file__).parent.parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tracked_copy(dest: Path) -> Path:
    """The repository as a clone would have it: tracked files only (what Binder builds from)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """(repository copy, environment) with a venv built from binder/requirements.txt only."""
    if not shutil.which("git"):
        pytest.skip("git is needed to list the repository's files")
    base = tmp_path_factory.mktemp("binder")
    repo = _tracked_copy(base / "repo")
    venv = base / "venv"
    subprocess.run(["python3", "-m", "venv", str(venv)], check=True)  # no system site packages
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PHOTA_", "PYTHON", "JUPYTER", "VIRTUAL_ENV"))
    }
    env |= {
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "VIRTUAL_ENV": str(venv),
        "JUPYTER_CONFIG_DIR": str(base / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(base / "jupyter-data"),  # no user kernelspec can stand in
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r",
         "binder/requirements.txt"],
        cwd=repo, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    yield repo, env


def _venv_python(env: dict[str, str]) -> str:
    return str(Path(env["VIRTUAL_ENV"]) / "bin" / "python")


def test_the_kernel_comes_from_the_binder_environment(
    binder_env: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repo, env = binder_env
    probe = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "probe",
                "metadata": {},
                "outputs": [],
                "source": "import sys, phota_widgets\n"
                "print(sys.prefix)\nprint(phota_widgets.__file__)",
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "probe.ipynb").write_text(json.dumps(probe))
    subprocess.run(
        [_venv_python(env), "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--inplace", str(tmp_path / "probe.ipynb")],
        cwd=repo, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    ran = json.loads((tmp_path / "probe.ipynb").read_text())
    text = ran["cells"][0]["outputs"][0]["text"]
    prefix, package = "".join(text).splitlines()  # nbformat keeps long text as a list
    assert Path(prefix) == Path(env["VIRTUAL_ENV"])  # the kernel runs in the Binder venv
    assert Path(package).is_relative_to(repo)  # the editable install of the repository


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_runs_in_the_binder_environment(
    binder_env: tuple[Path, dict[str, str]], path: Path, tmp_path: Path
) -> None:
    repo, env = binder_env
    run = subprocess.run(
        [_venv_python(env), "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.timeout=300", "--ExecutePreprocessor.kernel_name=python3",
         f"--output-dir={tmp_path}", f"notebooks/{path.name}"],
        cwd=repo, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-4000:]
    executed = json.loads((tmp_path / path.name).read_text())
    errors = [
        o for c in executed["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"
    ]
    assert not errors


def test_binder_opens_the_studio_as_an_app_and_in_jupyterlab(
    binder_env: tuple[Path, dict[str, str]],
) -> None:
    """Binder's two launch forms: ?urlpath=voila/render/... and ?urlpath=lab/tree/..."""
    repo, env = binder_env
    port, token = _free_port(), "binder-test-token"
    command = [_venv_python(env), "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", f"--ServerApp.root_dir={repo}", "--port-retries=0"]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")
    server = subprocess.Popen(
        command,
        cwd=repo,
        env=env | {"JUPYTER_TOKEN": token},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/status?token={token}", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, "the server ended"
            assert time.monotonic() < deadline, "the server did not answer within 120 s"
            time.sleep(0.3)
        app = httpx.get(f"{base}/voila/render/notebooks/00_studio.ipynb?token={token}", timeout=180)
        assert app.status_code == 200
        assert "Phota Studio" in app.text
        assert "application/vnd.jupyter.widget-view+json" in app.text
        assert "There was an error when executing cell" not in app.text
        lab = httpx.get(f"{base}/lab/tree/notebooks/00_studio.ipynb?token={token}", timeout=60)
        assert lab.status_code == 200
    finally:
        stop_tree(server, signal.SIGTERM)
        server.wait(timeout=60)
