"""Real browser: five pairs judged in the Studio's Experiments tab with the keyboard alone (the
ReviewKeys anywidget); the panel holds the focus, says when it lost it, and the store gets five
judgements."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from studio_steps import sweep_finished

from phota_widgets.store import RunStore

pytestmark = pytest.mark.browser

LOAD = 120_000  # ms: a page starts a kernel, which starts the Studio
RUN = 180_000  # ms: a run on a busy machine
VERDICT_KEYS = ["1", "2", "3", "4", "1"]  # left, right, tie, both bad, left


def _focused_in_panel(page: Any) -> bool:
    return bool(page.evaluate("() => !!document.activeElement?.closest('.phota-review-panel')"))


@pytest.mark.timeout(400)
def test_five_pairs_judged_with_the_keyboard_alone(
    studio_app: Any, new_page: Callable[..., Any]
) -> None:
    page = new_page(1280, 900)
    page.goto(studio_app.url, timeout=LOAD)
    page.locator(".phota-studio-header").wait_for(timeout=LOAD)
    page.get_by_role("tab", name="Experiments").click()
    sweep = page.locator(".phota-sweep-panel")
    sweep.locator(".phota-sweep-prompts textarea").fill("a {animal} at dusk")
    sweep.locator(".phota-sweep-vars textarea").fill("animal: owl, fox")
    sweep.locator(".phota-sweep-aspect-ratio select").select_option(["1:1", "16:9", "4:3"])
    sweep.locator(".jupyter-widgets.phota-sweep-plan").filter(
        has_text=re.compile(r"cells \(calls\)\s*6(?!\d)")
    ).wait_for(timeout=30_000)
    run = sweep.locator("button.phota-sweep-run")
    page.wait_for_function("el => !el.disabled", arg=run.element_handle(), timeout=30_000)
    run.click()
    sweep_finished(sweep, studio_app)
    sweep.locator("button.phota-sweep-review").click()

    review = sweep.locator(".phota-review-panel")
    progress = review.locator(".phota-review-progress")
    progress.filter(has_text="Pair 1 of 6").wait_for(timeout=30_000)
    keys = review.locator(".phota-review-keys")
    images = review.locator("img.phota-review-image")
    images.nth(1).wait_for(timeout=30_000)
    page.wait_for_function("() => !!document.activeElement?.closest('.phota-review-panel')",
                           timeout=30_000)  # fmt: skip  # the panel has the keyboard at once
    status = keys.locator(".phota-review-keys-status")
    status.filter(has_text="1 left").filter(has_text="n next").wait_for(timeout=10_000)

    page.locator(".phota-studio-header").click()  # elsewhere: the keys are paused, and it says so
    status.filter(has_text="keys paused").wait_for(timeout=10_000)
    page.keyboard.press("1")
    assert "0 judged" in progress.inner_text()
    keys.click()  # back to the pair
    status.filter(has_text="1 left").wait_for(timeout=10_000)
    assert _focused_in_panel(page)

    seen: list[str] = []
    for number, key in enumerate(VERDICT_KEYS, start=1):
        shown = keys.get_attribute("data-shown") or ""
        assert shown and shown not in seen, "a pair shown twice"
        seen.append(shown)
        title = review.locator(".phota-review-title")
        title.filter(has_text="settings hidden").wait_for(timeout=30_000)
        page.keyboard.press(key)
        progress.filter(has_text=f"{number} judged").wait_for(timeout=30_000)
        review.get_by_text("settings revealed").wait_for(timeout=30_000)
        page.keyboard.press("n")
        progress.filter(has_text=f"Pair {number + 1} of 6").wait_for(timeout=30_000)
        page.wait_for_function(
            "([el, old]) => el.dataset.shown && el.dataset.shown !== old",
            arg=[keys.element_handle(), shown],
            timeout=30_000,
        )
    assert _focused_in_panel(page)  # the keyboard never left the panel
    assert all(i.evaluate("img => img.complete && img.naturalWidth > 0") for i in images.all())
    assert max(images.first.evaluate("img => [img.naturalWidth, img.naturalHeight]")) <= 512

    store = RunStore(studio_app.folder / "phota-runs")
    ids = [f"{r.run_id}:{o.index}" for r in store.runs() for o in r.outputs]
    judged = store.judgements(ids)
    assert len(judged) == 5
    assert [j.winner for j in judged][2:4] == ["tie", "both_bad"]
    assert len({frozenset((j.output_a, j.output_b)) for j in judged}) == 5
