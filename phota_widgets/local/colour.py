"""Remix: colour and tone transfer from a reference image, in CIE Lab.

The source and reference statistics come from thumbnails; the transfer is baked into a
33-point 3D lookup table, so the per-pixel work is one Pillow filter at the output size.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from phota_widgets.local.engine import (
    FloatArray,
    scale_to_long_side,
    size_for_long_side,
    thumbnail_array,
)
from phota_widgets.local.retouch import jitter, steer

_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
     [0.0193339, 0.1191920, 0.9503041]]
)  # fmt: skip
_WHITE = np.array([0.95047, 1.0, 1.08883])


def rgb_to_lab(rgb: FloatArray) -> FloatArray:
    """Convert sRGB in [0, 1] (shape (..., 3)) to CIE Lab (D65)."""
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    t = (lin @ _XYZ.T) / _WHITE
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def lab_to_rgb(lab: FloatArray) -> FloatArray:
    """Convert CIE Lab (D65) to sRGB, clipped to [0, 1]."""
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], axis=-1)
    t = np.where(f > 6 / 29, f**3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * _WHITE
    lin = np.clip(t @ np.linalg.inv(_XYZ).T, 0, 1)
    rgb = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin ** (1 / 2.4) - 0.055)
    return np.asarray(np.clip(rgb, 0, 1), dtype=np.float64)


def remix(
    img: Image.Image,
    reference: Image.Image,
    *,
    prompt: str | None = None,
    variation: int = 0,
    long_side: int = 2048,
) -> Image.Image:
    """Transfer colour and tone from `reference` onto `img` (mean/std matching in Lab).

    The input's content and aspect ratio are kept; the prompt steers strength ("subtle",
    "strong") and tone words; `variation` > 0 changes the strength and mix.
    """
    st = steer(prompt)
    jit = jitter("remix", variation, 3)
    out_size = size_for_long_side(img.size, long_side)
    work = scale_to_long_side(img, long_side, upscale=False)
    src = rgb_to_lab(thumbnail_array(work)).reshape(-1, 3)
    ref = rgb_to_lab(thumbnail_array(reference.convert("RGB"))).reshape(-1, 3)
    mu_s, sd_s = src.mean(axis=0), src.std(axis=0) + 1e-3
    mu_r, sd_r = ref.mean(axis=0), ref.std(axis=0) + 1e-3
    ratio = np.clip(sd_r / sd_s, [0.5, 0.4, 0.4], [2.0, 2.5, 2.5])
    base = min(1.0, 0.85 * st["strength"])
    mix = np.clip(base + np.array([0.15 * jit[0], 0.12 * jit[1], 0.12 * jit[1]]), 0.1, 1.0)
    size = 33
    axis = np.linspace(0.0, 1.0, size)
    b, g, r = np.meshgrid(axis, axis, axis, indexing="ij")
    grid = np.stack([r, g, b], axis=-1).reshape(-1, 3)
    lab = rgb_to_lab(grid)
    moved = lab + mix * ((lab - mu_s) * ratio + mu_r - lab)
    moved[:, 0] += 100 * st["exposure"]
    moved[:, 1:] *= 1 + st["saturation"] + 0.08 * jit[2]
    moved[:, 2] += 60 * st["warmth"]
    moved[:, 0] = np.clip(moved[:, 0] + st["contrast"] * 40 * (moved[:, 0] / 100 - 0.5), 0, 100)
    table = lab_to_rgb(moved).astype(np.float32).reshape(-1)
    work = work.filter(ImageFilter.Color3DLUT(size, table))
    if work.size != out_size:
        work = work.resize(out_size, Image.Resampling.BICUBIC)
    return work
