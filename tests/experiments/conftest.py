"""Fixtures of the experiment tests: a Session per test on the shared embedded server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sweep_helpers import KEY

import phota_widgets as pw
from phota_widgets.local import LocalServer


@pytest.fixture
def session(server: LocalServer, tmp_path: Path) -> Iterator[pw.Session]:
    """A Session on the shared server, storing runs under tmp_path/runs."""
    with pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path / "runs") as s:
        yield s
