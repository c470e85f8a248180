"""Reading a profile's training images: URLs this offline server can reach, ``data:`` URIs, base64.

Phota itself trains from public http(s) URLs only; the embedded server also takes ``data:`` URIs
and raw base64, so local files can train a profile offline.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from phota_widgets.local import render
from phota_widgets.local.jobs import WorkFailed


async def decode_training_images(
    sources: Sequence[str], own_origin: tuple[str, int] | None = None
) -> tuple[list[Image.Image], list[str]]:
    """Decode what can be decoded; returns the images and a note per image that could not be.

    Args:
        own_origin: the server's (host, port): the only place URLs are fetched from.
    """
    images: list[Image.Image] = []
    notes: list[str] = []
    for i, source in enumerate(sources):
        what = f"image_urls[{i}]"
        try:
            payload = source.partition(",")[2] if source.startswith("data:") else source
            images.append(await render.load_image(payload, what, own_origin=own_origin))
        except WorkFailed as exc:
            notes.append(exc.detail)
    return images, notes
