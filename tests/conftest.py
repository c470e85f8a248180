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
