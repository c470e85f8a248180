"""The Experiments tab in a real browser (``phota-widgets studio`` + system Chromium) at
1280x800: type, plan, run, review, export; nothing overflows sideways, the judging buttons are in
view with the pair, and Export lands in the browser. Screenshots go to ``$PHOTA_SHOTS``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from studio_steps import sweep_finished, wait_text
from test_studio_look import OVERFLOWING, SHOTS

pytestmark = pytest.mark.browser


@pytest.mark.timeout(400)
def test_the_experiments_tab_fits_and_works_in_a_real_browser(
    studio_app: Any, new_page: Callable[..., Any]
) -> None:
    page = new_page(1280, 800)
    page.goto(studio_app.url, timeout=120_000)
    page.locator(".phota-studio-header").wait_for(timeout=90_000)
    page.get_by_role("tab", name="Experiments").click()
    panel = page.locator(".phota-sweep-panel")
    panel.locator(".phota-sweep-prompts textarea").fill("a {colour} boat at sea")
    plan = panel.locator("div.phota-sweep-plan").first
    plan.get_by_text("add a vars line").wait_for(timeout=30_000)  # not sent as written
    panel.locator(".phota-sweep-vars textarea").fill("colour: red, blue")
    panel.locator(".phota-sweep-aspect-ratio select").select_option(["1:1", "16:9"])
    wait_text(plan, re.compile(r"cells \(calls\)\s*4(?!\d)"), timeout=30_000)
    assert page.evaluate(OVERFLOWING) == [], "a horizontal scrollbar in the form"
    page.screenshot(path=str(SHOTS / "experiments-plan-1280x800.png"))

    panel.locator("button.phota-sweep-run").click()
    sweep_finished(panel, studio_app)
    panel.locator(".phota-sweep-grid img").nth(3).wait_for(timeout=60_000)  # all 4
    panel.locator("button.phota-sweep-review").click()
    review = panel.locator(".phota-review-panel")
    review.wait_for(timeout=30_000)
    review.locator("img.phota-review-image").first.wait_for(timeout=30_000)
    review.scroll_into_view_if_needed()
    page.evaluate("(el) => el.scrollIntoView({block: 'start'})", review.element_handle())
    left = review.locator("button.phota-review-left")
    box = left.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 800, f"buttons at {box}"
    assert page.evaluate(OVERFLOWING) == [], "a horizontal scrollbar in the review"
    page.screenshot(path=str(SHOTS / "experiments-review-1280x800.png"))
    left.click()
    review.get_by_text("settings revealed").wait_for(timeout=30_000)
    assert "hidden until you judge" not in review.inner_text()

    with page.expect_download(timeout=60_000) as caught:
        panel.locator("button.phota-sweep-export").click()
    download = caught.value
    assert download.suggested_filename.endswith("-export.zip")
    saved = SHOTS / download.suggested_filename
    download.save_as(str(saved))
    assert saved.read_bytes()[:2] == b"PK"  # a zip, on "the user's computer"
