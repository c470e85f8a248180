"""Fixtures of the widget tests: one embedded server per module, a fresh Session per test.

Sessions use the real-API code path (``api_key`` + ``base_url``) with a planted key, so the
tests can search every widget's state for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ipywidgets
import pytest

import phota_widgets as pw
from phota_widgets.local import TrainingDurations

KEY = "sk-planted-SECRET-1234567890"
DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="module")
def server() -> Iterator[pw.LocalServer]:
    """One embedded server for the module; profiles train at once."""
    with pw.LocalServer(api_key=KEY, training=TrainingDurations(0.0, 0.0, 0.0)) as srv:
        yield srv


@pytest.fixture(scope="module")
def slow_server() -> Iterator[pw.LocalServer]:
    """An embedded server that answers every request after 2 s (for Cancel)."""
    with pw.LocalServer(api_key=KEY, faults=pw.Faults(latency=2.0)) as srv:
        yield srv


def _session(srv: pw.LocalServer, folder: Path) -> Any:
    return pw.Session(api_key=KEY, base_url=srv.base_url, output_dir=folder)


@pytest.fixture
def session(server: pw.LocalServer, tmp_path: Path) -> Iterator[Any]:
    """A Session on the module's server, storing runs under tmp_path."""
    s = _session(server, tmp_path / "runs")
    yield s
    s.close()


@pytest.fixture
def slow_session(slow_server: pw.LocalServer, tmp_path: Path) -> Iterator[Any]:
    """A Session whose every request takes 2 s."""
    s = _session(slow_server, tmp_path / "slow-runs")
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _close_widgets() -> Iterator[None]:
    """Each test starts without the previous tests' widgets."""
    yield
    ipywidgets.Widget.close_all()


@pytest.fixture
def data() -> Path:
    """The folder of sample photos."""
    return DATA


def _eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.02)
    return check()


@pytest.fixture
def eventually() -> Callable[..., bool]:
    """``eventually(check, timeout=5.0)``: poll ``check`` until it holds or time runs out."""
    return _eventually
