"""Fixtures shared by every test folder: sample photos and one embedded server per session."""

from __future__ import annotations

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


SHARED_WORKER = {"binder": "binder", "browser": "browser", "teams": "teams"}
"""Test folders whose tests share a heavy fixture (a Binder venv; Chromium and the Studio;
PostgreSQL, S3 and MLflow): each folder runs on one xdist worker, so it is built once."""


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put each test of a :data:`SHARED_WORKER` folder in its folder's xdist group."""
    for item in items:
        parts = Path(str(item.path)).relative_to(Path(__file__).parent).parts
        group = SHARED_WORKER.get(parts[0]) if len(parts) > 1 else None
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
