"""Real browser: "Copy code" beside a Studio result copies (or shows, selectable) the snippet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.browser

LOAD = 120_000  # ms: a page starts a kernel, which starts the Studio
RUN = 90_000  # ms: a run on a busy machine


def test_copy_code_beside_a_result_gives_python_and_curl(
    studio_app: Any, new_page: Callable[[], Any]
) -> None:
    page = new_page()
    page.goto(studio_app.url, timeout=LOAD)
    generate = page.locator(".phota-studio .phota-generate-panel")
    generate.locator(".phota-prompt textarea").wait_for(timeout=LOAD)
    assert not generate.locator(".phota-copy-code-python").is_visible()  # no result yet
    generate.locator(".phota-prompt textarea").fill("a yellow kite over a green hill")
    generate.locator("button.phota-run").click()
    generate.locator("img.phota-thumb").first.wait_for(timeout=RUN)

    generate.locator("button.phota-copy-code-python").click()
    code = generate.locator("pre.phota-copy-code-text")
    code.wait_for(timeout=RUN)
    text = code.inner_text()
    assert "pw.Session(" in text and "a yellow kite over a green hill" in text
    assert "PHOTA_API_KEY" in text
    note = generate.locator(".phota-copy-code-note").inner_text()
    assert note in ("copied", "select the code below and copy it")

    generate.locator("button.phota-copy-code-curl").click()
    page.wait_for_function(
        "() => document.querySelector('.phota-generate-panel pre.phota-copy-code-text')"
        ".textContent.includes('curl -sS')",
        timeout=RUN,
    )
    curl = code.inner_text()
    assert "X-API-Key: $PHOTA_API_KEY" in curl and "/generate" in curl
    assert "local_" not in curl  # the stand-in's own key is never shown
