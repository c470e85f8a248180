"""Enhance: automatic photo correction, steered by the tone words of a prompt.

White balance, levels, gamma, contrast and saturation are inferred from a thumbnail and
applied through lookup tables; noise is measured and cored; sharpening adapts to blur,
noise and upscaling. Heavy steps run at the output size, never at the input's full size.
"""

from __future__ import annotations

import hashlib
import math
import re

import numpy as np
from PIL import Image, ImageChops, ImageEnhance, ImageFilter

from phota_widgets.local.engine import (
    FloatArray,
    scale_to_long_side,
    size_for_long_side,
    thumbnail_array,
)

_LUMA = np.array([0.299, 0.587, 0.114])


# ---------------------------------------------------------------------------- steering

_STEER_WORDS: dict[str, tuple[str, float]] = {}
for _words, _key, _delta in (
    ("subtle subtly gentle gently slight slightly minimal natural light", "strength", -0.5),
    ("strong strongly dramatic bold intense heavy punchy maximum", "strength", 0.5),
    ("vivid vibrant saturated saturation colorful colourful rich pop", "saturation", 0.2),
    ("muted desaturated faded pastel washed", "saturation", -0.2),
    ("warm warmer warmth golden cozy sunny", "warmth", 0.05),
    ("cool cooler cold colder icy", "warmth", -0.05),
    ("sharp sharper sharpen crisp crisper detail detailed details clarity clear", "sharpness", 0.6),
    ("soft softer dreamy", "sharpness", -0.6),
    ("bright brighter brighten lighter lighten airy exposure", "exposure", 0.07),
    ("dark darker darken moody dim", "exposure", -0.07),
    ("contrast contrasty", "contrast", 0.25),
    ("flat flatter", "contrast", -0.25),
):
    for _w in _words.split():
        _STEER_WORDS[_w] = (_key, _delta)
_PROBLEM_WORDS = {"noise": "denoise", "noisy": "denoise", "grain": "denoise", "grainy": "denoise"}
_PROBLEM_WORDS |= {"denoise": "denoise", "clean": "denoise", "smooth": "denoise"}
_NEGATORS = {"less", "not", "no", "without", "reduce", "lower", "dont", "don't", "never", "fewer"}
_INTENSIFIERS = {"more", "much", "very", "extra", "really", "super", "lot", "lots", "way"}


def steer(prompt: str | None) -> dict[str, float]:
    """Read tone words from a prompt into adjustments (strength is a multiplier)."""
    out = dict.fromkeys(("saturation", "warmth", "sharpness", "exposure", "contrast"), 0.0)
    out |= {"strength": 1.0, "denoise": 0.0}
    tokens = re.findall(r"[a-z']+", (prompt or "").lower())
    for i, tok in enumerate(tokens):
        before = set(tokens[max(0, i - 2) : i])
        if tok in _PROBLEM_WORDS:
            out[_PROBLEM_WORDS[tok]] += 0.5
            continue
        if tok not in _STEER_WORDS:
            continue
        key, delta = _STEER_WORDS[tok]
        if before & _NEGATORS:
            delta = -delta
        if before & _INTENSIFIERS:
            delta *= 1.6
        out[key] += delta
    out["strength"] = min(2.0, max(0.25, out["strength"]))
    return out


def jitter(tag: str, variation: int, n: int) -> FloatArray:
    """Deterministic values in [-1, 1] per variation index; all zero for variation 0."""
    if variation == 0:
        return np.zeros(n)
    digest = hashlib.sha256(f"{tag}:{variation}".encode()).digest()
    return np.array([digest[i] / 127.5 - 1.0 for i in range(n)])


# --------------------------------------------------------------------------- analysis


def estimate_noise(img: Image.Image, *, per_channel: bool = False) -> float:
    """Estimate Gaussian noise sigma in 8-bit units, robust to edges and texture.

    Args:
        img: The image; a central crop of at most 768 px is measured.
        per_channel: Average the R, G and B estimates instead of measuring luminance.
    """
    w, h = img.size
    left, top = max(0, (w - 768) // 2), max(0, (h - 768) // 2)
    crop = img.crop((left, top, min(w, left + 768), min(h, top + 768)))
    bands = crop.convert("RGB").split() if per_channel else (crop.convert("L"),)
    return float(np.mean([_band_noise(np.asarray(b, dtype=np.float64)) for b in bands]))


def _band_noise(a: FloatArray) -> float:
    if a.shape[0] < 3 or a.shape[1] < 3:
        return 0.0
    conv = (
        a[:-2, :-2] + a[:-2, 2:] + a[2:, :-2] + a[2:, 2:]
        - 2 * (a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:])
        + 4 * a[1:-1, 1:-1]
    )  # fmt: skip
    return float(np.median(np.abs(conv)) / (0.6745 * 6.0))


def _detail_ratio(img: Image.Image) -> float:
    """Fine- to mid-scale detail energy of the luminance, net of noise: low when blurred."""
    lum = img.convert("L")
    if max(lum.size) > 768:
        lum.thumbnail((768, 768), Image.Resampling.BOX)
    a = np.asarray(lum, dtype=np.float64)
    noise = _band_noise(a)
    g1 = np.asarray(lum.filter(ImageFilter.GaussianBlur(1)), dtype=np.float64)
    g3 = np.asarray(lum.filter(ImageFilter.GaussianBlur(3)), dtype=np.float64)
    fine = max(0.0, float(np.mean(np.abs(a - g1))) - 0.7 * noise)
    return fine / (float(np.mean(np.abs(g1 - g3))) + 1e-6)


def _denoise(img: Image.Image, sigma: float) -> Image.Image:
    """Edge-preserving denoise for noise of about `sigma` (8-bit units).

    Luminance and colour detail smaller than the noise level is cored (shrunk) around a
    Gaussian base layer; for heavier noise the chroma channels are smoothed as well.
    """
    base = img.filter(ImageFilter.GaussianBlur(1.0 + min(1.5, sigma / 8)))
    detail = ImageChops.subtract(img, base, scale=1.0, offset=128)
    k2 = (2.2 * sigma) ** 2
    coring = [round(128 + d * d * d / (d * d + k2)) for d in range(-128, 128)]
    out = ImageChops.add(base, detail.point(coring * 3), scale=1.0, offset=-128)
    if sigma > 3:
        y, cb, cr = out.convert("YCbCr").split()
        soft = ImageFilter.GaussianBlur(min(3.0, sigma / 3))
        out = Image.merge("YCbCr", (y, cb.filter(soft), cr.filter(soft))).convert("RGB")
    return out


# ---------------------------------------------------------------------------- enhance


def enhance(
    img: Image.Image, *, prompt: str | None = None, variation: int = 0, long_side: int = 2048
) -> Image.Image:
    """Automatically correct white balance, exposure, contrast, noise, sharpness, colour.

    Every strength is inferred from the image's statistics (a good photo changes little);
    tone words in `prompt` steer it; `variation` > 0 gives mildly different versions.
    The result keeps the input's aspect ratio with long side `long_side`.
    """
    st = steer(prompt)
    jit = jitter("enhance", variation, 4)
    out_size = size_for_long_side(img.size, long_side)
    work = _tone(scale_to_long_side(img, long_side, upscale=False), st, jit)
    sigma = estimate_noise(work, per_channel=True)
    if sigma > 1.5 or st["denoise"] > 0:
        work = _denoise(work, sigma * min(2.0, 0.5 + 0.5 * st["strength"] + st["denoise"]))
    upscale = out_size[0] / work.width
    detail = _detail_ratio(work)
    if work.size != out_size:
        work = work.resize(out_size, Image.Resampling.BICUBIC)
    blur = max(0.0, 0.5 - detail) / 0.5  # 0 for a crisp image, 1 for a blurred one
    percent = (40 + 170 * blur) * st["strength"] * (1 + st["sharpness"])
    percent *= (1.0 + 0.3 * min(2.0, max(0.0, upscale - 1.0))) / (1.0 + sigma / 20)
    if percent >= 5:
        radius = (1.0 + 1.5 * blur) * max(1.0, upscale) * max(1.0, long_side / 2048)
        threshold = round(2 + 0.4 * sigma)
        work = work.filter(ImageFilter.UnsharpMask(radius, round(min(400.0, percent)), threshold))
    return work


def _tone(img: Image.Image, st: dict[str, float], jit: FloatArray) -> Image.Image:
    """White balance, levels, gamma, contrast and saturation, inferred from a thumbnail."""
    rgb = thumbnail_array(img)
    px = rgb.reshape(-1, 3)
    strength = st["strength"]
    lum = px @ _LUMA
    mid = px[(lum > 0.03) & (lum < 0.97)]
    mid = mid if len(mid) > 16 else px
    grey_world = np.log(mid.mean(axis=0) + 1e-3)
    bright = px[lum >= np.percentile(lum, 97)]
    white_patch = np.log(bright.mean(axis=0) + 1e-3)
    gw, wp = grey_world - grey_world.mean(), white_patch - white_patch.mean()
    cast = np.where(np.sign(gw) == np.sign(wp), np.sign(gw) * np.minimum(abs(gw), abs(wp)), 0.0)
    gains = np.clip(np.exp(-0.8 * min(1.0, strength) * cast), 0.75, 1.33)
    warm = st["warmth"] + 0.025 * jit[0]
    gains = gains * np.array([1 + warm, 1.0, 1 - warm])
    gains /= gains @ _LUMA
    lum = np.clip(px * gains, 0, 1) @ _LUMA
    lo, hi = np.percentile(lum, [0.5, 99.5])
    stretch = min(4.0, 0.97 / max(hi - lo, 1e-3))
    stretch = 1 + max(0.0, stretch - 1) * min(1.0, strength)
    lo_eff = lo * min(1.0, strength)
    stretched = np.clip((lum - lo_eff) * stretch, 1e-4, 1)
    med = float(np.median(stretched))
    gamma = math.log(0.46) / math.log(min(0.95, max(0.02, med)))
    # a full tonal range suggests an intended exposure (low key, high key): correct less
    weight = 0.25 + 0.5 * min(1.0, (stretch - 1.0) / 1.5)
    gamma = gamma ** (weight * min(1.3, strength)) * 2 ** (-4 * (st["exposure"] + 0.02 * jit[1]))
    gamma = min(1.8, max(0.45, gamma))
    toned = stretched**gamma
    spread = float(np.std(toned))
    k = min(0.5, max(0.0, (0.17 - spread) / 0.17 * 1.6)) * strength
    k = min(1.0, max(-0.6, k + st["contrast"] + 0.1 * jit[2]))
    x = np.arange(256) / 255.0
    luts: list[int] = []
    for gain in gains:
        v = np.clip((np.clip(x * gain, 0, 1) - lo_eff) * stretch, 0, 1)
        v = v**gamma
        v = (1 - k) * v + k * v * v * (3 - 2 * v)
        luts.extend(np.clip(np.round(v * 255), 0, 255).astype(int).tolist())
    out = img.point(luts)
    chroma = float(np.mean(rgb.max(axis=2) - rgb.min(axis=2)))
    sat = 1 + min(0.25, max(0.0, (0.15 - chroma) * 1.5)) * strength
    sat += st["saturation"] + 0.08 * jit[3]
    if abs(sat - 1) > 0.01:
        out = ImageEnhance.Color(out).enhance(max(0.0, sat))
    return out
