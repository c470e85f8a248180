"""``EditPanel``: change 1 to 10 photos as a prompt says."""

from __future__ import annotations

from typing import ClassVar

from phota_widgets.api.models import MAX_EDIT_IMAGES
from phota_widgets.widgets._panel import SizedPanel
from phota_widgets.widgets.picker import ImagePicker


class EditPanel(SizedPanel):
    """Edit photos with a prompt; input images come from disk, an upload, a URL or another panel.

    Args:
        session: the Session that runs and records the requests.
    """

    endpoint: ClassVar[str] = "edit"
    title: ClassVar[str] = "Edit"
    prompt_placeholder: ClassVar[str] = "What to change, e.g. 'make it warmer and crop to 16:9'"

    def _make_inputs(self) -> list[ImagePicker]:
        return [self._picker("images", "Photos to edit", max_items=MAX_EDIT_IMAGES)]

    @property
    def images(self) -> ImagePicker:
        """The picker of the photos to edit."""
        return self.inputs["images"]
