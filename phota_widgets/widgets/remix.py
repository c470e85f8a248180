"""``RemixPanel``: a photo redone in the style of a reference image (keeps the input's aspect)."""

from __future__ import annotations

from typing import ClassVar

from phota_widgets.widgets._panel import CapabilityPanel
from phota_widgets.widgets.picker import ImagePicker


class RemixPanel(CapabilityPanel):
    """Remix an input photo with a reference image's colour and tone.

    Args:
        session: the Session that runs and records the requests.
    """

    endpoint: ClassVar[str] = "remix"
    title: ClassVar[str] = "Remix"
    prompt_required: ClassVar[bool] = False
    prompt_placeholder: ClassVar[str] = "Optional guidance"

    def _make_inputs(self) -> list[ImagePicker]:
        return [
            self._picker("input_image", "Input photo"),
            self._picker("reference_image", "Style reference"),
        ]

    @property
    def input_image(self) -> ImagePicker:
        """The picker of the photo to remix."""
        return self.inputs["input_image"]

    @property
    def reference_image(self) -> ImagePicker:
        """The picker of the style reference."""
        return self.inputs["reference_image"]
