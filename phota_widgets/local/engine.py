"""Pillow image work for the embedded server: decoding, sizing, enhance, remix, encoding.

Everything here is deterministic real image processing. Heavy steps run at the output
size (never at the input's full size), per-pixel colour work goes through lookup tables,
and image statistics are taken from small thumbnails, so a 12-megapixel photo is
enhanced or remixed in well under a second.
"""

from __future__ import annotations

import hashlib
import io
import math
import re

import numpy as np
import numpy.typing as npt
from PIL import (
    Image,
    ImageChops,
    ImageDraw,
    ImageEnhance,
    ImageFilter,
    ImageOps,
    UnidentifiedImageError,
)

FloatArray = npt.NDArray[np.float64]


class ImageInputError(ValueError):
    """The input is not a usable image: not an image, corrupt, or too large."""


MAX_INPUT_PIXELS: int = 64_000_000
RESOLUTION_LONG_SIDE: dict[str, int] = {"1K": 1024, "2K": 2048, "4K": 4096}
ASPECT_RATIOS: dict[str, tuple[int, int]] = {
    "1:1": (1, 1),
    "3:4": (3, 4),
    "4:3": (4, 3),
    "9:16": (9, 16),
    "16:9": (16, 9),
}
_LUMA = np.array([0.299, 0.587, 0.114])
_LANCZOS = Image.Resampling.LANCZOS


# --------------------------------------------------------------------------- decoding


def decode_image(data: bytes, *, max_side: int | None = None) -> Image.Image:
    """Decode image bytes into an upright RGB image.

    Args:
        data: The file's bytes (JPEG, PNG, WebP, GIF, BMP, TIFF, ...).
        max_side: If given, a JPEG may be decoded at a reduced scale whose long side
            stays at least ~95% of this (fast path for large photos).

    Raises:
        ImageInputError: Empty, not an image, corrupt/truncated, or over MAX_INPUT_PIXELS.
    """
    if not data:
        raise ImageInputError("empty input: no image bytes")
    try:
        probe = Image.open(io.BytesIO(data))
        _check_pixels(probe.size)
        probe.verify()
        img = Image.open(io.BytesIO(data))
        if max_side and img.format == "JPEG":
            img.draft("RGB", _size_for_long_side(img.size, int(max_side * 0.95)))
        img.load()
        return _to_rgb(ImageOps.exif_transpose(img))
    except ImageInputError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageInputError(f"image too large (decompression bomb): {exc}") from exc
    except UnidentifiedImageError as exc:
        raise ImageInputError("not an image: the bytes are in no known image format") from exc
    except Exception as exc:  # any decoder failure on hostile input is a bad input
        raise ImageInputError(f"corrupt or truncated image: {exc}") from exc


def _check_pixels(size: tuple[int, int]) -> None:
    w, h = size
    if w < 1 or h < 1:
        raise ImageInputError(f"image has no pixels ({w}x{h})")
    if w * h > MAX_INPUT_PIXELS:
        raise ImageInputError(
            f"image too large: {w}x{h} = {w * h} pixels, the limit is {MAX_INPUT_PIXELS}"
        )


def _to_rgb(img: Image.Image) -> Image.Image:
    """Convert any mode to RGB, flattening transparency onto white."""
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = float(arr.max()) or 1.0
        scale = 255.0 / (65535.0 if top > 255 else 255.0)
        return Image.fromarray(np.clip(arr * scale, 0, 255).astype(np.uint8)).convert("RGB")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB") if img.mode != "RGB" else img


# ----------------------------------------------------------------------------- sizing


def output_size(
    aspect_ratio: str, resolution: str, source: tuple[int, int] | None
) -> tuple[int, int]:
    """Pixel size of an output image.

    Args:
        aspect_ratio: "auto" or a key of ASPECT_RATIOS.
        resolution: A key of RESOLUTION_LONG_SIDE; it fixes the long side.
        source: The input's size, used by "auto" (1:1 when None).
    """
    if resolution not in RESOLUTION_LONG_SIDE:
        raise ValueError(f"unknown resolution {resolution!r}")
    if aspect_ratio == "auto":
        ratio = source if source and source[0] > 0 and source[1] > 0 else (1, 1)
    elif aspect_ratio in ASPECT_RATIOS:
        ratio = ASPECT_RATIOS[aspect_ratio]
    else:
        raise ValueError(f"unknown aspect ratio {aspect_ratio!r}")
    return _size_for_long_side(ratio, RESOLUTION_LONG_SIDE[resolution])


def _size_for_long_side(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    w, h = size
    scale = long_side / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def resize_box(
    img: Image.Image, size: tuple[int, int], box: tuple[float, float, float, float] | None = None
) -> Image.Image:
    """Resize (a region of) an image to an exact size, fast: integer reduce() first."""
    x0, y0, x1, y1 = box or (0.0, 0.0, float(img.width), float(img.height))
    factor = int(min((x1 - x0) / size[0], (y1 - y0) / size[1]) + 0.1)
    if factor >= 2:
        ibox = (round(x0), round(y0), round(x1), round(y1))
        img = img.reduce(factor, box=ibox)
        x0, y0, x1, y1 = 0.0, 0.0, float(img.width), float(img.height)
    if img.size == size and (x0, y0, x1, y1) == (0, 0, img.width, img.height):
        return img.copy()
    return img.resize(size, _LANCZOS, box=(x0, y0, x1, y1))


def fit(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Centre-crop an image to the aspect of `size`, then resize to exactly `size`."""
    tw, th = size
    w, h = img.size
    if w * th > h * tw:
        cw = h * tw / th
        box = ((w - cw) / 2, 0.0, (w + cw) / 2, float(h))
    else:
        ch = w * th / tw
        box = (0.0, (h - ch) / 2, float(w), (h + ch) / 2)
    return resize_box(img, size, box)


def scale_to_long_side(img: Image.Image, long_side: int, *, upscale: bool = True) -> Image.Image:
    """Resize keeping aspect so the long side is `long_side` (optionally only downscale)."""
    if not upscale and max(img.size) <= long_side:
        return img
    return resize_box(img, _size_for_long_side(img.size, long_side))


def _thumb(img: Image.Image, long_side: int = 256) -> FloatArray:
    small = img.copy()
    small.thumbnail((long_side, long_side), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float64) / 255.0


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


def _jitter(tag: str, variation: int, n: int) -> FloatArray:
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
    jit = _jitter("enhance", variation, 4)
    out_size = _size_for_long_side(img.size, long_side)
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
    rgb = _thumb(img)
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


# ------------------------------------------------------------------------------ remix

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
    jit = _jitter("remix", variation, 3)
    out_size = _size_for_long_side(img.size, long_side)
    work = scale_to_long_side(img, long_side, upscale=False)
    src = rgb_to_lab(_thumb(work)).reshape(-1, 3)
    ref = rgb_to_lab(_thumb(reference.convert("RGB"))).reshape(-1, 3)
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


# ------------------------------------------------------------------- encode / portraits


def encode(img: Image.Image, output_format: str) -> bytes:
    """Encode as "png" or "jpg"/"jpeg" (JPEG quality 92, RGB)."""
    fmt = output_format.lower()
    buf = io.BytesIO()
    if fmt == "png":
        img.save(buf, "PNG", compress_level=3)
    elif fmt in ("jpg", "jpeg"):
        _to_rgb(img).save(buf, "JPEG", quality=92)
    else:
        raise ValueError(f"unknown output format {output_format!r}: use 'png' or 'jpg'")
    return buf.getvalue()


def portrait_box(size: tuple[int, int], slot: int, slots: int) -> tuple[int, int, int, int]:
    """The (left, top, right, bottom) box of portrait `slot` of `slots` on a canvas."""
    if slots < 1 or not 0 <= slot < slots:
        raise ValueError(f"slot {slot} is not in 0..{slots - 1}")
    w, h = size
    d = max(8, int(min(h * 0.44, w * 0.86 / slots)))
    gap = (w - slots * d) / (slots + 1)
    left = round(gap + slot * (d + gap))
    top = round(h * 0.56 - d / 2)
    return left, top, left + d, top + d


def paste_portrait(
    canvas: Image.Image, portrait: Image.Image, slot: int, slots: int
) -> Image.Image:
    """Place a profile picture (round, white-bordered, shadowed) into slot `slot` of `slots`.

    Returns a new image; `canvas` is not modified.
    """
    left, top, right, _ = portrait_box(canvas.size, slot, slots)
    d = right - left
    border = max(2, d // 28)
    out = canvas.convert("RGB")
    shadow = Image.new("L", (d + 4 * border, d + 4 * border), 0)
    ImageDraw.Draw(shadow).ellipse((border, border, d + 3 * border, d + 3 * border), fill=110)
    shadow = shadow.filter(ImageFilter.GaussianBlur(border))
    out.paste((0, 0, 0), (left - border, top, left + d + 3 * border, top + d + 4 * border), shadow)
    out.paste((255, 255, 255), (left, top, left + d, top + d), _disc(d))
    inner = d - 2 * border
    face = ImageOps.fit(_to_rgb(portrait), (inner, inner), _LANCZOS, centering=(0.5, 0.4))
    out.paste(face, (left + border, top + border), _disc(inner))
    return out


def _disc(d: int) -> Image.Image:
    """An antialiased disc mask of diameter d."""
    big = Image.new("L", (d * 4, d * 4), 0)
    ImageDraw.Draw(big).ellipse((0, 0, d * 4 - 1, d * 4 - 1), fill=255)
    return big.resize((d, d), Image.Resampling.BOX)
