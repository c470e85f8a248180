"""``GeneratePanel``: a new image from a prompt (people only via ``[[profile_id]]`` in it)."""

from __future__ import annotations

from typing import ClassVar

from phota_widgets.widgets._panel import SizedPanel


class GeneratePanel(SizedPanel):
    """Generate images from a prompt: aspect ratio, resolution, model, quality and count.

    Args:
        session: the Session that runs and records the requests.

    Example:
        >>> panel = GeneratePanel(session)            # doctest: +SKIP
        >>> panel.prompt.value = "a lighthouse at dusk"  # doctest: +SKIP
        >>> result = await panel.run()                # doctest: +SKIP
    """

    endpoint: ClassVar[str] = "generate"
    title: ClassVar[str] = "Generate"
    prompt_placeholder: ClassVar[str] = "Describe the image; insert [[profile]] to include a person"
