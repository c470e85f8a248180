"""Real browser: the Studio as ``phota-widgets studio`` serves it, used as a person would.

Marked ``browser``; skipped (with the reason) when Chromium or Playwright is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from studio_steps import RUN, sweep_finished, wait_text

from phota_widgets.store import RunStore

pytestmark = pytest.mark.browser

KEY = "sk-planted-SECRET-1234567890"
LOAD = 120_000  # ms: a page starts a kernel, which starts the Studio


def _open_studio(page: Any, url: str) -> Any:
    page.goto(url, timeout=LOAD)
    page.locator(".phota-generate-panel .phota-prompt textarea").wait_for(timeout=LOAD)
    return page.locator(".phota-studio")


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
    wait_text(generate.locator(".phota-status"), "done")
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
    wait_text(edit.locator(".phota-status"), "done")
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
    wait_text(error, "Not sent", timeout=30_000)
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
    wait_text(status, "cancelled")
    run = generate.locator("button.phota-run")
    page.wait_for_function("el => !el.disabled", arg=run.element_handle(), timeout=30_000)
    assert cancel.is_disabled()
    assert generate.locator("img.phota-thumb").count() == 0
    assert KEY not in page.content()

    generate.locator(".phota-prompt textarea").fill("a slow sunset, this time to the end")
    run.click()  # the panel is usable again after a cancel
    generate.locator("img.phota-thumb").first.wait_for(timeout=RUN)
    wait_text(status, "done")


def test_a_small_sweep_from_the_experiments_tab_and_one_judged_pair(
    studio_app: Any, new_page: Callable[[], Any], screenshot: Callable[[bytes, str], Path]
) -> None:
    page = new_page()
    studio = _open_studio(page, studio_app.url)
    page.get_by_role("tab", name="Experiments").click()
    sweep = studio.locator(".phota-sweep-panel")
    sweep.locator(".phota-sweep-prompts textarea").fill(
        "a {animal} at dusk\na {animal} in the rain"
    )
    sweep.locator(".phota-sweep-vars textarea").fill("animal: owl, fox")
    sweep.locator(".phota-sweep-aspect-ratio select").select_option(label=["1:1", "16:9"])
    plan = sweep.locator(".jupyter-widgets.phota-sweep-plan")
    calls = re.compile(r"cells \(calls\)\s*8(?!\d)")  # 2 prompts x 2 animals x 2 ratios
    wait_text(plan, calls, timeout=30_000)
    assert "$" in plan.inner_text()  # priced before anything is sent
    run = sweep.locator("button.phota-sweep-run")
    page.wait_for_function("el => !el.disabled", arg=run.element_handle(), timeout=30_000)
    run.click()
    sweep_finished(sweep, studio_app)
    grid = sweep.locator(".jupyter-widgets.phota-sweep-grid")
    grid.locator("img").nth(7).wait_for(timeout=RUN)
    assert grid.locator("img").count() == 8
    assert "owl" in grid.inner_text() and "16:9" in grid.inner_text()
    page.set_viewport_size({"width": 1280, "height": 2400})  # the whole grid, no scrolling
    page.wait_for_function(
        "el => [...el.querySelectorAll('img')].every(i => i.complete && i.naturalWidth > 0)",
        arg=grid.element_handle(),
        timeout=30_000,
    )
    screenshot(grid.screenshot(), "sweep-grid.png")

    sweep.locator("button.phota-sweep-review").click()
    review = sweep.locator(".phota-review-panel")
    review.locator("img.phota-review-image").nth(1).wait_for(timeout=30_000)
    wait_text(review.locator(".phota-review-title"), "settings hidden", timeout=30_000)
    assert not "".join(review.locator(".phota-review-reveal").all_inner_texts()).strip()
    review.locator("button.phota-review-left").click()
    wait_text(review.locator(".phota-review-progress"), "1 judged", timeout=30_000)
    revealed = " ".join(review.locator(".phota-review-reveal").all_inner_texts())
    assert "aspect_ratio" in revealed and "chosen" in revealed  # settings shown once judged

    sweep.locator("button.phota-sweep-board").click()
    details = sweep.locator(".jupyter-widgets.phota-sweep-details")
    wait_text(details, "judgements", timeout=30_000)  # the leaderboard reads the store
