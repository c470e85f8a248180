"""The command line without secrets on it, and ``serve`` on IPv6 loopback."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from process_trees import sigint_as_default

import phota_widgets as pw
from phota_widgets.cli import main
from phota_widgets.store.config import OPTIONS_ENV, StoreLocation

ROOT = Path(__file__).parents[2]
KEY = "sk-ipv6-key-0123456789abcdef"


def _ipv6_loopback() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_serve_on_ipv6_loopback_answers_a_client(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PHOTA_API_KEY": KEY}
    proc = subprocess.Popen(
        [sys.executable, "-m", "phota_widgets.cli", "serve", "--host", "::1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
        preexec_fn=sigint_as_default,  # Ctrl-C means Ctrl-C, also under a background shell
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the first line names the URL (blocks until it is up)
        found = re.search(r"(http://\[::1\]:\d+/v1/phota)", line)
        assert found, line + (proc.stderr.read() if proc.poll() is not None else "")
        client = pw.PhotaClient(api_key=KEY, base_url=found.group(1))
        result = client.generate("a red kite over a field")
        assert len(result.images) == 1 and result.images[0].data[:2] == b"\xff\xd8"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def test_storage_options_come_from_a_file_not_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "s3-secret-key-NOT-ON-THE-COMMAND-LINE"
    options = tmp_path / "options.json"
    options.write_text(json.dumps({"auto_mkdir": True, "note": secret}))
    monkeypatch.setenv(OPTIONS_ENV, "")  # main() sets it: put back after the test
    experiment = tmp_path / "e.yaml"
    experiment.write_text('endpoint: generate\nprompts: ["a kite"]\n')
    argv = ["sweep", str(experiment), "--dry-run", "--storage-options", f"@{options}"]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 0
    assert os.environ[OPTIONS_ENV] == f"@{options}"  # the file's name, never its content
    assert StoreLocation.resolve().storage_options == {"auto_mkdir": True, "note": secret}

    monkeypatch.setenv(OPTIONS_ENV, f"@{options}")  # the environment can name the file too
    assert StoreLocation.resolve().storage_options["note"] == secret

    options.write_text(json.dumps(["not", "an", "object", secret]))
    assert main([*argv, "--out", str(tmp_path / "o2")]) == 2
    said = capsys.readouterr().err
    assert str(options) in said and "JSON object" in said and secret not in said
    missing = tmp_path / "missing.json"
    assert main([*argv[:-1], f"@{missing}", "--out", str(tmp_path / "o3")]) == 2
    assert f"cannot read the options file {missing}" in capsys.readouterr().err
