"""Shared helpers of the reliability suite: bounded waits and small input photos."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest
from PIL import Image

Waiter = Callable[..., None]


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    """Poll until ``condition()`` holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture(scope="session")
def small_photo() -> bytes:
    """A small JPEG input, so the soak measures the toolkit, not image processing."""
    buf = io.BytesIO()
    Image.new("RGB", (96, 64), (120, 160, 200)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


@pytest.fixture
def wait_for() -> Waiter:
    """``wait_for(condition, what, timeout)``: wait for a state, never for a time."""
    return _wait_for
