"""What a panel says when a run is refused: sentences in the user's words, nothing spent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from phota_widgets.widgets.enhance import EnhancePanel
from phota_widgets.widgets.generate import GeneratePanel
from phota_widgets.widgets.remix import RemixPanel


def test_an_empty_prompt_says_write_a_prompt_first(session: Any) -> None:
    panel = GeneratePanel(session)
    panel.run_button.click()
    assert panel.wait(timeout=10) is None
    assert "Write a prompt first." in panel.error.value
    assert "String should" not in panel.error.value and "nothing was spent" in panel.error.value
    assert len(session.store) == 0


def test_missing_photos_are_asked_for_by_what_they_are_for(session: Any) -> None:
    enhance = EnhancePanel(session)
    enhance.run_button.click()
    assert enhance.wait(timeout=10) is None
    assert "Choose a photo to enhance." in enhance.error.value
    assert "Field required" not in enhance.error.value
    remix = RemixPanel(session)
    remix.inputs["input_image"].samples[0].click()
    remix.run_button.click()
    assert remix.wait(timeout=10) is None
    assert "Choose a reference photo" in remix.error.value
    assert len(session.store) == 0


def test_an_offline_url_says_to_upload_instead(session: Any, settle: Callable[[], None]) -> None:
    panel = EnhancePanel(session)
    panel.image.url.value = "https://example.com/photo.jpg"
    panel.image.url_button.click()
    panel.run_button.click()
    assert panel.wait(timeout=30) is None
    settle()
    assert "cannot download photos from example.com" in panel.error.value
    assert "Upload the photo" in panel.error.value and "base64" not in panel.error.value


def test_offline_generate_says_what_it_drew_and_what_it_did_not_understand(
    session: Any, settle: Callable[[], None]
) -> None:
    panel = GeneratePanel(session)
    panel.prompt.value = "a red lighthouse on a rocky coast at sunset"
    panel.num_outputs.value = 4
    panel.run_button.click()
    result = panel.wait(timeout=60)
    assert result is not None, panel.error.value
    settle()
    header = panel.grid.header.value
    assert "drew: red, lighthouse, coast, sunset" in header
    assert "not understood: &quot;rocky&quot;" in header
    assert len({image.data for image in result.images}) == 4  # four different pictures
