"""The Studio's look in a real browser (``phota-widgets studio`` + system Chromium) at 1280x800
and 1920x1080.

No horizontal scrollbar, the title once, picks that show, a download that lands in the browser,
and the before/after view near the top. Screenshots go to ``$PHOTA_SHOTS`` (default /tmp).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from studio_steps import wait_text

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("PHOTA_SHOTS", "/tmp"))

VIEWPORTS = [(1280, 800), (1920, 1080)]

OVERFLOWING = """() => {
  const wide = [];
  for (const el of document.querySelectorAll('.phota-studio, .phota-studio *')) {
    if (!el.offsetParent) continue;  // hidden
    const style = getComputedStyle(el);
    const scrolls = style.overflowX === 'auto' || style.overflowX === 'scroll';
    if (scrolls && el.scrollWidth > el.clientWidth + 1) wide.push(el.className.slice(-60));
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) wide.push('page');
  return wide;
}"""


@pytest.mark.timeout(400)
@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_the_studio_fits_and_works_in_a_real_browser(
    studio_app: Any, new_page: Callable[..., Any], width: int, height: int
) -> None:
    size = f"{width}x{height}"
    page = new_page(width, height)
    page.goto(studio_app.url, timeout=120_000)
    panel = page.locator(".phota-generate-panel")
    prompt = panel.locator(".phota-prompt textarea")
    prompt.wait_for(timeout=90_000)
    page.locator(".phota-studio-header").wait_for(timeout=30_000)
    page.screenshot(path=str(SHOTS / f"studio-{size}.png"))
    assert page.locator(".phota-login-key input").count() == 1  # the key box, in the header
    assert page.evaluate(OVERFLOWING) == [], "a horizontal scrollbar"
    text = page.locator("body").inner_text()
    assert text.count("Phota Studio") == 1, "the title shows more than once"
    assert "offline" in page.locator(".phota-studio-header").inner_text()

    prompt.fill("a red lighthouse on a rocky coast at sunset")
    panel.locator(".phota-num-outputs select").select_option(label="2 images")
    panel.locator("button.phota-run").click()
    panel.locator("img.phota-thumb").nth(1).wait_for(timeout=90_000)
    wait_text(panel.locator(".phota-status"), "done", timeout=60_000)
    panel.locator(".phota-select").first.click()
    panel.locator(".phota-picked").first.wait_for(timeout=20_000)
    wait_text(panel.locator(".phota-select").first, "picked", timeout=20_000)
    wait_text(panel.locator(".phota-grid-hint"), "1 picked", timeout=20_000)
    with page.expect_download(timeout=30_000) as caught:
        panel.locator("button.phota-download").click()
    download = caught.value
    assert download.suggested_filename.startswith("generate_")
    assert download.suggested_filename.endswith(".jpg")
    saved = SHOTS / f"download-{size}-{download.suggested_filename}"
    download.save_as(str(saved))
    assert saved.read_bytes()[:2] == b"\xff\xd8"  # a JPEG, on "the user's computer"
    assert page.evaluate(OVERFLOWING) == [], "a horizontal scrollbar after a run"
    page.screenshot(path=str(SHOTS / f"studio-generate-{size}.png"))

    page.get_by_role("tab", name="Enhance").click()
    enhance = page.locator(".phota-enhance-panel")
    enhance.locator("button.phota-sample").first.click()  # one click: a sample photo
    enhance.locator(".phota-input-thumbs img").first.wait_for(timeout=20_000)
    enhance.locator("button.phota-run").click()
    enhance.locator("img.phota-thumb").first.wait_for(timeout=90_000)
    enhance.locator("button.phota-before-after").click()
    view = enhance.locator("div.phota-before-after")
    view.wait_for(timeout=30_000)
    top = page.evaluate(
        "(el) => el.getBoundingClientRect().top + window.scrollY", view.element_handle()
    )
    assert top < height * 0.6, f"before/after starts at {top}px of a {height}px window"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"studio-before-after-{size}.png"))
