"""Driving a request pacer on a test clock."""

from __future__ import annotations

from collections.abc import Callable

from phota_widgets.session.pacing import WINDOW, RequestPacer


def answered_over_a_second(pacer: RequestPacer, advance: Callable[[float], None], n: int) -> None:
    """``n`` keyed requests sent and answered (not refused), spread over the last second."""
    for _ in range(n):
        pacer.sent()
        pacer.taken()
        advance(0.99 * WINDOW / n)
