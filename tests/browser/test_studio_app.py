"""Real browser: the Studio as ``phota-widgets studio`` serves it, used as a person would.

Marked ``browser``; skipped (with the reason) when Chromium or Playwright is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from phota_widgets.store import RunStore

pytestmark = pytest.mark.browser

KEY = "sk-planted-SECRET-1234567890"
LOAD = 120_000  # ms: a page starts a kernel, which starts the Studio
RUN = 90_000  # ms: a run on a busy machine


def _open_studio(page: Any, url: str) -> Any:
    page.goto(url, timeout=LOAD)
    page.locator(".phota-generate-panel .phota-prompt textarea").wait_for(timeout=LOAD)
    return page.locator(".phota-studio")


def _wait_text(locator: Any, text: str, timeout: int = RUN) -> None:
    locator.filter(has_text=text).wait_for(timeout=timeout)


def test_the_studio_app_generates_edits_and_shows_before_after(
    studio_app: Any, new_page: Callable[[], Any], screenshot: Callable[[bytes, str], Path]
) -> None:
    page = new_page()
    studio = _open_studio(page, studio_app.url)
    notice = studio.locator(".phota-offline-notice")
    assert "Offline" in notice.inner_text() and "stand-in" in notice.inner_text()
    assert "phota-widgets: no Phota API key" not in page.content()  # no raw stdout banner

    generate = studio.locator(".phota-generate-panel")
    generate.locator(".phota-prompt textarea").fill("a red lighthouse on the coast at sunset")
    generate.locator(".phota-aspect-ratio select").select_option(label="16:9")
    generate.locator(".phota-num-outputs select").select_option(label="2 images")
    generate.locator("button.phota-run").click()
    thumbs = generate.locator("img.phota-thumb")
    thumbs.nth(1).wait_for(timeout=RUN)
    assert thumbs.count() == 2
    _wait_text(generate.locator(".phota-status"), "done")
    width, height = thumbs.first.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert width > height, (width, height)  # 16:9, as chosen
    screenshot(studio.screenshot(), "studio.png")

    # pick the second output, send it to Edit, edit it there, compare before and after
    generate.locator(".phota-select").nth(1).click()
    generate.locator(".phota-send-to select").select_option(label="Edit")
    generate.locator("button.phota-send").click()
    edit = studio.locator(".phota-edit-panel")
    edit.locator(".phota-input-thumbs img").first.wait_for(timeout=30_000)
    assert edit.is_visible()  # the Studio switched to the Edit tab
    edit.locator(".phota-prompt textarea").fill("black and white, crop to 1:1")
    edit.locator("button.phota-run").click()
    edited = edit.locator("img.phota-thumb")
    edited.first.wait_for(timeout=RUN)
    _wait_text(edit.locator(".phota-status"), "done")
    width, height = edited.first.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert width == height  # cropped to 1:1
    edit.locator(".phota-select").first.click()
    edit.locator("button.phota-before-after").click()
    pair = edit.locator(".phota-preview .phota-before-after")
    pair.wait_for(timeout=30_000)
    assert "Before" in pair.inner_text() and "After" in pair.inner_text()
    assert pair.locator("img").count() >= 2

    runs = RunStore(studio_app.folder / "phota-runs").runs()
    assert {r.endpoint for r in runs} >= {"generate", "edit"}  # both kept in the app's folder


def test_a_bad_input_shows_the_error_box_and_sends_nothing(
    studio_app: Any, new_page: Callable[[], Any]
) -> None:
    page = new_page()
    studio = _open_studio(page, studio_app.url)
    generate = studio.locator(".phota-generate-panel")
    generate.locator(".phota-prompt textarea").fill("   ")
    generate.locator("button.phota-run").click()
    error = generate.locator(".phota-error")
    _wait_text(error, "Not sent", timeout=30_000)
    assert "prompt" in error.inner_text().lower()
    assert generate.locator("img.phota-thumb").count() == 0


def test_cancel_stops_a_slow_run_and_the_key_stays_out_of_the_page(
    slow_studio: Any, new_page: Callable[[], Any]
) -> None:
    page = new_page()
    studio = _open_studio(page, slow_studio.url)
    assert studio.locator(".phota-offline-notice").inner_text().strip() == ""  # a key is set
    generate = studio.locator(".phota-generate-panel")
    generate.locator(".phota-prompt textarea").fill("a slow sunrise over the hills")
    generate.locator("button.phota-run").click()
    cancel = generate.locator("button.phota-cancel")
    page.wait_for_function(
        "el => !el.disabled", arg=cancel.element_handle(), timeout=30_000
    )  # the run is under way
    cancel.click()
    status = generate.locator(".phota-status")
    _wait_text(status, "cancelled")
    run = generate.locator("button.phota-run")
    page.wait_for_function("el => !el.disabled", arg=run.element_handle(), timeout=30_000)
    assert cancel.is_disabled()
    assert generate.locator("img.phota-thumb").count() == 0
    assert KEY not in page.content()

    generate.locator(".phota-prompt textarea").fill("a slow sunset, this time to the end")
    run.click()  # the panel is usable again after a cancel
    generate.locator("img.phota-thumb").first.wait_for(timeout=RUN)
    _wait_text(status, "done")
