"""Each base model's own look, and each call's own variation, for offline generate and edit.

Real models differ: in palette, in how they frame a subject, in how they render. So that an
offline review or leaderboard compares pictures that differ as they would for real, the embedded
server gives every base model a look (palette, framing, rendering style) and every call a small
variation of its own (framing, light, grain), seeded by the request: the same request (prompt,
settings, inputs and ``client_request_id``) draws the same bytes, and a repeat (another key)
draws another picture.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from phota_widgets.api.models import ImageRequest

RGB = tuple[int, int, int]
NOT_SEEDING = frozenset({"async_", "response_mode", "callback_url"})
"""Request fields that do not change the picture (how it is delivered, not what it is)."""


@dataclass(frozen=True)
class Look:
    """How one base model renders.

    Attributes:
        saturation: colour strength (1: unchanged).
        contrast: contrast (1: unchanged).
        tint: the colour its palette leans to, and ``tint_strength`` how much (0..1).
        zoom: framing: above 1 crops closer to the subject, below 1 sets it in a matte.
        style: ``plain``, ``glow`` (soft bloom), ``crisp`` (sharpened), ``poster`` (flat
            graphic colour) or ``film`` (grain and vignette).
    """

    saturation: float = 1.0
    contrast: float = 1.0
    tint: RGB = (128, 128, 128)
    tint_strength: float = 0.0
    zoom: float = 1.0
    style: str = "plain"


LOOKS: dict[str, Look] = {
    "nb2": Look(),
    "gpt-image-2": Look(0.95, 0.9, (255, 196, 140), 0.16, 1.06, "glow"),
    "qwen-image-2": Look(1.35, 1.1, (120, 170, 255), 0.14, 1.22, "crisp"),
    "flux-2": Look(1.15, 1.3, (40, 40, 60), 0.06, 0.86, "poster"),
    "reve": Look(0.6, 0.95, (200, 170, 120), 0.22, 1.0, "film"),
}
"""The look of each base model (unknown names draw as ``nb2``)."""

MATTE: RGB = (236, 232, 224)
"""The matte around a picture framed wider than the canvas."""


def request_seed(request: ImageRequest) -> bytes:
    """A digest of what a request asks for (including its ``client_request_id``)."""
    body = request.model_dump_json(exclude=set(NOT_SEEDING))
    return hashlib.sha256(body.encode()).digest()


def call_rng(seed: bytes, index: int) -> np.random.Generator:
    """The random generator of output ``index`` of the call with this seed."""
    return np.random.default_rng(
        int.from_bytes(hashlib.sha256(seed + index.to_bytes(4, "big")).digest()[:8], "big")
    )


def apply(
    img: Image.Image, base_model: str, rng: np.random.Generator, *, jitter: float = 1.0
) -> Image.Image:
    """Render ``img`` in ``base_model``'s look with this call's variation (same size).

    Args:
        jitter: how far a call may stray (1: a generate's; less for an edit, whose requested
            operations must stay plain to see).
    """
    look = LOOKS.get(base_model, LOOKS["nb2"])
    img = img.convert("RGB")
    img = _frame(img, look.zoom, rng, jitter)
    light = 1.0 + float(rng.uniform(-0.07, 0.07)) * jitter
    img = ImageEnhance.Brightness(img).enhance(light)
    if look.saturation != 1.0:
        img = ImageEnhance.Color(img).enhance(look.saturation)
    if look.contrast != 1.0:
        img = ImageEnhance.Contrast(img).enhance(look.contrast)
    if look.tint_strength:
        img = Image.blend(img, Image.new("RGB", img.size, look.tint), look.tint_strength)
    return _STYLES[look.style](img, rng)


def _frame(img: Image.Image, zoom: float, rng: np.random.Generator, jitter: float) -> Image.Image:
    """Crop closer (zoom > 1) or set in a matte (zoom < 1), shifted a little per call."""
    w, h = img.size
    zoom *= 1.0 + float(rng.uniform(0.0, 0.08)) * jitter
    dx, dy = (float(v) * jitter for v in rng.uniform(-0.04, 0.04, size=2))
    if zoom >= 1.0:
        cw, ch = w / zoom, h / zoom
        left = min(max((w - cw) / 2 + dx * w, 0.0), w - cw)
        top = min(max((h - ch) / 2 + dy * h, 0.0), h - ch)
        return img.resize((w, h), Image.Resampling.BICUBIC, box=(left, top, left + cw, top + ch))
    inner = img.resize((max(1, round(w * zoom)), max(1, round(h * zoom))), Image.Resampling.BICUBIC)
    canvas = Image.new("RGB", (w, h), MATTE)
    x = round((w - inner.width) / 2 + dx * (w - inner.width))
    y = round((h - inner.height) / 2 + dy * (h - inner.height))
    canvas.paste(inner, (x, y))
    return canvas


def _plain(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    return img


def _glow(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    radius = max(1.0, max(img.size) / 160)
    return Image.blend(img, img.filter(ImageFilter.GaussianBlur(radius)), 0.45)


def _crisp(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    return img.filter(ImageFilter.UnsharpMask(radius=2, percent=160, threshold=2))


def _poster(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    return ImageOps.posterize(img.filter(ImageFilter.SMOOTH_MORE), 3)


def _film(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    pixels = np.asarray(img, dtype=np.int16)
    grain = rng.normal(0.0, 9.0, size=pixels.shape[:2]).astype(np.int16)[..., None]
    h, w = pixels.shape[:2]
    ys, xs = np.ogrid[-1.0 : 1.0 : h * 1j, -1.0 : 1.0 : w * 1j]
    vignette = (1.0 - 0.35 * np.clip(xs**2 + ys**2 - 0.3, 0.0, None))[..., None]
    shaded = (pixels + grain) * vignette
    return Image.fromarray(np.clip(shaded, 0, 255).astype(np.uint8), "RGB")


_STYLES: dict[str, Callable[[Image.Image, np.random.Generator], Image.Image]] = {
    "plain": _plain,
    "glow": _glow,
    "crisp": _crisp,
    "poster": _poster,
    "film": _film,
}
