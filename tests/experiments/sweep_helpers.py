"""What the experiment tests share: the planted key, counting paid submits, waiting."""

from __future__ import annotations

import time
from collections.abc import Callable

from phota_widgets.local import LocalServer

KEY = "sk-planted-SECRET-1234567890"


def submits(server: LocalServer) -> int:
    """Jobs the server has accepted so far (each one paid for)."""
    return len(server.state.jobs._jobs)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll a condition until it holds, failing with ``what`` after a generous deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
