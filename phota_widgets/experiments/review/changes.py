"""Where did an edit land: a change map of an output against its input, on thumbnails.

The input and the output are decoded small (longest side ``CHANGE_MAP_PX``), the output is
resized to the input's thumbnail size (so a crop or a new aspect ratio still lines up corner to
corner), and each pixel's change is the RGB distance between the two, from 0 (same) to 1 (black
to white), after a 3 x 3 box blur that keeps JPEG noise from counting as change.
``changed_fraction`` is the share of pixels that changed by more than ``CHANGE_THRESHOLD``:
an edit that asked for a small change and shows a large fraction spilled over.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

__all__ = [
    "CHANGE_MAP_PX",
    "CHANGE_THRESHOLD",
    "ImageSource",
    "change_map",
    "change_map_jpeg",
    "changed_fraction",
]

CHANGE_MAP_PX = 256
"""Longest side at which images are compared."""
CHANGE_THRESHOLD = 0.1
"""A pixel counts as changed when its RGB distance (0-1) is above this (about 25 of 255)."""

ImageSource: TypeAlias = "str | os.PathLike[str] | bytes | Image.Image"
"""An image as a path, encoded bytes, or a PIL image."""

FloatImage = npt.NDArray[np.float32]


def _small_rgb(source: ImageSource, size: tuple[int, int] | None = None) -> Image.Image:
    """The image as RGB, at most CHANGE_MAP_PX on its longest side (or exactly ``size``)."""
    if isinstance(source, Image.Image):
        img = source.copy()
    else:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        opened = Image.open(io.BytesIO(data))
        opened.draft("RGB", (CHANGE_MAP_PX, CHANGE_MAP_PX))  # JPEG: decode at reduced scale
        img = ImageOps.exif_transpose(opened)
    img = img.convert("RGB")
    if size is not None:
        return img.resize(size, Image.Resampling.BILINEAR)
    img.thumbnail((CHANGE_MAP_PX, CHANGE_MAP_PX), Image.Resampling.BILINEAR)
    return img


def _as_array(img: Image.Image) -> FloatImage:
    return np.asarray(img, dtype=np.float32) / 255.0


def _box_blur(values: FloatImage) -> FloatImage:
    """3 x 3 mean, edges repeated."""
    padded = np.pad(values, 1, mode="edge")
    height, width = values.shape
    total = np.zeros_like(values)
    for dy in range(3):
        for dx in range(3):
            total += padded[dy : dy + height, dx : dx + width]
    return total / 9.0


def change_map(output: ImageSource, before: ImageSource) -> FloatImage:
    """Per-pixel change from ``before`` to ``output``, 0-1, at the input's thumbnail size.

    Args:
        output: the edited, enhanced or remixed image.
        before: the image the request started from.

    Returns:
        A float32 array (height x width) of the input's thumbnail.
    """
    base = _small_rgb(before)
    after = _small_rgb(output, size=base.size)
    diff = _as_array(after) - _as_array(base)
    distance = np.sqrt(np.sum(diff * diff, axis=2)) / np.float32(np.sqrt(3.0))
    return np.clip(_box_blur(distance.astype(np.float32)), 0.0, 1.0)


def changed_fraction(
    output: ImageSource, before: ImageSource, threshold: float = CHANGE_THRESHOLD
) -> float:
    """Share of pixels (0-1) that changed by more than ``threshold`` from ``before``."""
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must be from 0 to below 1, got {threshold}")
    return float(np.mean(change_map(output, before) > threshold))


def change_map_jpeg(output: ImageSource, before: ImageSource, quality: int = 80) -> bytes:
    """The change map as a picture: the input in dim grey, changed pixels in red to yellow.

    Unchanged areas show the input's shapes, so a person sees *where* the change landed.
    """
    base = _small_rgb(before)
    amount = change_map(output, before)
    grey = _as_array(base.convert("L"))
    strength = np.clip(amount / 0.5, 0.0, 1.0)  # a change of 0.5 or more is full colour
    dim = 0.35 * grey * (1.0 - strength)
    red = dim + strength
    green = dim + strength * np.clip(amount * 2.0 - 0.5, 0.0, 1.0)
    blue = dim
    rgb = np.stack([red, green, blue], axis=2)
    pixels = (np.clip(rgb, 0.0, 1.0) * 255).round().astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, mode="RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()
