"""Real browser: "Copy code" beside a Studio result copies (or shows, selectable) the snippet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from studio_steps import generate_and_copy_code

pytestmark = pytest.mark.browser

LOAD = 120_000  # ms: a page starts a kernel, which starts the Studio


def test_copy_code_beside_a_result_gives_python_and_curl(
    studio_app: Any, new_page: Callable[[], Any]
) -> None:
    page = new_page()
    page.goto(studio_app.url, timeout=LOAD)
    generate_and_copy_code(page, "a yellow kite over a green hill")
