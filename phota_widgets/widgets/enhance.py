"""``EnhancePanel``: automatic improvement of one photo (Nano Banana 2 at 2K)."""

from __future__ import annotations

from typing import ClassVar

from phota_widgets.widgets._panel import CapabilityPanel
from phota_widgets.widgets.picker import ImagePicker


class EnhancePanel(CapabilityPanel):
    """Enhance a photo: exposure, colour, noise and sharpness; the prompt is optional guidance.

    Args:
        session: the Session that runs and records the requests.
    """

    endpoint: ClassVar[str] = "enhance"
    title: ClassVar[str] = "Enhance"
    prompt_required: ClassVar[bool] = False
    prompt_placeholder: ClassVar[str] = "Optional guidance, e.g. 'keep [[profile]] natural'"

    def _make_inputs(self) -> list[ImagePicker]:
        return [self._picker("image", "Photo to enhance")]

    @property
    def image(self) -> ImagePicker:
        """The picker of the photo to enhance."""
        return self.inputs["image"]
