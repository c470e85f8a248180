"""Fixtures shared by every test folder: sample photos and one embedded server per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from phota_widgets.local import LocalServer, TrainingDurations

DATA = Path(__file__).parent / "data"
PLANTED_KEY = "sk-planted-SECRET-1234567890"
"""A key planted in tests so that every artefact can be searched for it."""


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder of sample photos (see data/SOURCES.md)."""
    return DATA


@pytest.fixture(scope="session")
def server() -> Iterator[LocalServer]:
    """One embedded server for the whole run, accepting the planted key."""
    with LocalServer(api_key=PLANTED_KEY, training=TrainingDurations(0.1, 0.1, 0.2)) as srv:
        yield srv


SHARED_WORKER = {"binder": "binder", "teams": "teams"}
"""Test folders whose tests share a session-wide heavy fixture (a Binder venv; PostgreSQL, S3 and
MLflow): each folder runs on one xdist worker, so it is built once."""

PER_MODULE = {"browser"}
"""Test folders whose heavy fixtures (Chromium, a Studio, JupyterLab) are module-scoped: each
module runs on one worker, different modules in parallel."""

BROWSER_TIMEOUT = 400
"""Seconds a real-browser test may take on a busy machine (a page starts a kernel, which starts
the Studio), unless it says otherwise."""

WORKERS_PER_CORE = 2
"""``-n auto`` workers per core: most tests wait on servers, kernels and browsers, not the CPU."""


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Two workers a core (at least two): the suite mostly waits, so a core serves two."""
    return max(2, WORKERS_PER_CORE * (os.cpu_count() or 1))


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put each test of a :data:`SHARED_WORKER` folder in its folder's xdist group, and each
    module of a :data:`PER_MODULE` folder in its own."""
    for item in items:
        parts = Path(str(item.path)).relative_to(Path(__file__).parent).parts
        if len(parts) < 2:
            continue
        if parts[0] in SHARED_WORKER:
            item.add_marker(pytest.mark.xdist_group(SHARED_WORKER[parts[0]]))
        elif parts[0] in PER_MODULE:
            item.add_marker(pytest.mark.xdist_group(f"{parts[0]}:{Path(parts[-1]).stem}"))
        if parts[0] == "browser" and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(BROWSER_TIMEOUT))
