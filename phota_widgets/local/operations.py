"""Applying a prompt's image operations with Pillow, in order (see :mod:`.instructions`).

Consecutive tone operations (brightness, warmth, contrast, ...) are folded into one lookup table,
so they take one pass over the pixels; ``variation`` jitters strengths a little per output.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable

from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from phota_widgets.local.engine import fit, resize_box
from phota_widgets.local.instructions import MAX_ZOOM_OUT, Instructions


def apply(img: Image.Image, instructions: Instructions, *, variation: int = 0) -> Image.Image:
    """Apply the operations in order; `variation` > 0 jitters strengths by up to ±10%."""
    out = img.convert("RGB") if img.mode != "RGB" else img
    tones: list[tuple[str, float]] = []  # consecutive tone operations, folded into one LUT
    for index, op in enumerate(instructions.operations):
        amount = op.amount
        if variation and op.name in _JITTERED:
            digest = hashlib.sha256(f"{variation}:{index}:{op.name}".encode()).digest()
            amount *= 1 + 0.1 * (digest[0] / 127.5 - 1)
        if op.name in _TONE_CURVES:
            tones.append((op.name, amount))
            continue
        out = _apply_tones(out, tones)
        tones = []
        handler = _HANDLERS.get(op.name)
        if handler is None:
            raise ValueError(f"unknown operation {op.name!r}")
        out = handler(out, amount, op.arg)
    out = _apply_tones(out, tones)
    return out if out is not img else img.copy()


def _apply_tones(img: Image.Image, tones: list[tuple[str, float]]) -> Image.Image:
    """Apply a run of per-channel tone operations as one lookup table (one pass over pixels).

    The same integer mappings applied one after another, so the result equals applying them
    in turn; contrast's grey level is the mean of the image as the earlier steps leave it.
    """
    if not tones:
        return img
    luts = [list(range(256)) for _ in range(3)]
    histogram: list[int] | None = None
    for name, amount in tones:
        if name == "contrast":
            if histogram is None:
                histogram = img.histogram()
            grey = _mean_grey(histogram, luts)
            curves = [_contrast_curve(grey, max(0.0, 1 + amount))] * 3
        else:
            curves = _TONE_CURVES[name](amount)
        luts = [[curve[v] for v in lut] for curve, lut in zip(curves, luts, strict=True)]
    return img.point(luts[0] + luts[1] + luts[2])


def _mean_grey(histogram: list[int], luts: list[list[int]]) -> int:
    """The mean of the image's grey (L) channel once ``luts`` are applied (as Pillow rounds)."""
    total = sum(histogram[:256]) or 1
    means = [
        sum(count * lut[v] for v, count in enumerate(histogram[256 * c : 256 * (c + 1)])) / total
        for c, lut in enumerate(luts)
    ]
    return int(0.299 * means[0] + 0.587 * means[1] + 0.114 * means[2] + 0.5)


def _contrast_curve(grey: int, factor: float) -> list[int]:
    """What ``ImageEnhance.Contrast`` does to each level: blend with a flat grey."""
    return [min(255, max(0, int(grey + factor * (i - grey) + 0.5))) for i in range(256)]


def _brightness_curves(amount: float) -> list[list[int]]:
    gamma = 2 ** (-1.6 * amount)  # keeps black and white points; +0.25 -> gamma 0.76
    return [[round(255 * (i / 255) ** gamma) for i in range(256)]] * 3


def _warmth_curves(amount: float) -> list[list[int]]:
    def channel(gain: float) -> list[int]:
        return [min(255, max(0, round(i * gain))) for i in range(256)]

    return [channel(1 + 0.3 * amount), channel(1 + 0.05 * amount), channel(1 - 0.3 * amount)]


def _posterize_curves(amount: float) -> list[list[int]]:
    bits = min(7, max(1, round(4.5 - 1.5 * amount)))
    mask = ~(2 ** (8 - bits) - 1)
    return [[i & mask for i in range(256)]] * 3


_TONE_CURVES: dict[str, Callable[[float], list[list[int]]]] = {
    "brightness": _brightness_curves,
    "warmth": _warmth_curves,
    "posterize": _posterize_curves,
    "invert": lambda _amount: [[255 - i for i in range(256)]] * 3,
    "contrast": lambda _amount: [],  # needs the image's mean: see _apply_tones
}


def _long(img: Image.Image) -> int:
    return max(img.size)


def _brightness(img: Image.Image, amount: float, _arg: str | None) -> Image.Image:
    gamma = 2 ** (-1.6 * amount)  # keeps black and white points; +0.25 -> gamma 0.76
    lut = [round(255 * (i / 255) ** gamma) for i in range(256)]
    return img.point(lut * 3)


def _warmth(img: Image.Image, amount: float, _arg: str | None) -> Image.Image:
    def channel(gain: float) -> list[int]:
        return [min(255, max(0, round(i * gain))) for i in range(256)]

    return img.point(
        channel(1 + 0.3 * amount) + channel(1 + 0.05 * amount) + channel(1 - 0.3 * amount)
    )


def _sepia(img: Image.Image, amount: float, _arg: str | None) -> Image.Image:
    toned = ImageOps.colorize(ImageOps.grayscale(img), "#22160b", "#fff3dc", mid="#a5835a")
    return Image.blend(img, toned, min(1.0, max(0.0, amount)))


def _vignette(img: Image.Image, amount: float, _arg: str | None) -> Image.Image:
    strength = min(0.95, 0.6 * amount)
    radial = Image.radial_gradient("L").resize(img.size, Image.Resampling.BILINEAR)
    falloff = [min(1.0, max(0.0, (i / 181 - 0.4) / 0.95)) ** 1.5 for i in range(256)]
    mask = radial.point([round(255 * (1 - strength * f)) for f in falloff])
    return Image.composite(img, Image.new("RGB", img.size, 0), mask)


def _rotate_op(img: Image.Image, amount: float, _arg: str | None) -> Image.Image:
    degrees = amount % 360
    steps = {90.0: Image.Transpose.ROTATE_270, 180.0: Image.Transpose.ROTATE_180}
    steps[270.0] = Image.Transpose.ROTATE_90
    if round(degrees, 6) in steps:
        return img.transpose(steps[round(degrees, 6)])
    if round(degrees, 6) in (0.0, 360.0):
        return img.copy()
    turned = img.rotate(-degrees, Image.Resampling.BICUBIC, expand=False)
    c, s = abs(math.cos(math.radians(degrees))), abs(math.sin(math.radians(degrees)))
    w, h = img.size
    k = min(w / (w * c + h * s), h / (w * s + h * c))
    box = ((w - w * k) / 2, (h - h * k) / 2, (w + w * k) / 2, (h + h * k) / 2)
    return resize_box(turned, img.size, box)


def _ratio_size(arg: str) -> tuple[int, int]:
    w, h = (int(v) for v in arg.split(":"))
    return w, h


def _crop(img: Image.Image, amount: float, arg: str | None) -> Image.Image:
    w, h = img.size
    if arg is None:
        kept = min(1.0, max(0.1, amount))
        box = (w * (1 - kept) / 2, h * (1 - kept) / 2, w * (1 + kept) / 2, h * (1 + kept) / 2)
        return resize_box(img, img.size, box)
    rw, rh = _ratio_size(arg)
    size = (w, max(1, round(w * rh / rw))) if w * rh <= h * rw else (max(1, round(h * rw / rh)), h)
    return fit(img, size)


def _extend(img: Image.Image, amount: float, arg: str | None) -> Image.Image:
    w, h = img.size
    if arg is None:
        scale = min(max(1.0, amount), MAX_ZOOM_OUT)
        size = (round(w * scale), round(h * scale))
    else:
        rw, rh = _ratio_size(arg)
        size = (max(w, round(h * rw / rh)), max(h, round(w * rh / rw)))
    if size == (w, h):
        return img.copy()
    small = fit(img, (max(1, size[0] // 8), max(1, size[1] // 8)))
    fill = small.filter(ImageFilter.GaussianBlur(max(2, _long(small) // 20)))
    canvas = ImageEnhance.Brightness(fill.resize(size, Image.Resampling.BICUBIC)).enhance(0.85)
    canvas.paste(img, ((size[0] - w) // 2, (size[1] - h) // 2))
    return canvas


def _blur(img: Image.Image, amount: float, _arg: str | None) -> Image.Image:
    return img.filter(ImageFilter.GaussianBlur(max(0.5, amount * _long(img) / 300)))


def _sharpen(img: Image.Image, amount: float, _arg: str | None) -> Image.Image:
    radius = max(1.0, _long(img) / 1000)
    return img.filter(ImageFilter.UnsharpMask(radius, round(max(10.0, 120 * amount)), 2))


def _posterize(img: Image.Image, amount: float, _arg: str | None) -> Image.Image:
    return ImageOps.posterize(img, min(7, max(1, round(4.5 - 1.5 * amount))))


def _denoise(img: Image.Image, amount: float, _arg: str | None) -> Image.Image:
    return img.filter(ImageFilter.MedianFilter(3 if amount <= 1.5 else 5))


def _contrast(img: Image.Image, amount: float, _arg: str | None) -> Image.Image:
    return ImageEnhance.Contrast(img).enhance(max(0.0, 1 + amount))


def _saturation(img: Image.Image, amount: float, _arg: str | None) -> Image.Image:
    return ImageEnhance.Color(img).enhance(max(0.0, 1 + amount))


_Handler = Callable[[Image.Image, float, "str | None"], Image.Image]
_HANDLERS: dict[str, _Handler] = {
    "brightness": _brightness,
    "contrast": _contrast,
    "saturation": _saturation,
    "warmth": _warmth,
    "grayscale": lambda img, _a, _g: ImageOps.grayscale(img).convert("RGB"),
    "sepia": _sepia,
    "blur": _blur,
    "sharpen": _sharpen,
    "vignette": _vignette,
    "rotate": _rotate_op,
    "flip": lambda img, _a, _g: img.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
    "mirror": lambda img, _a, _g: img.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    "crop": _crop,
    "extend": _extend,
    "invert": lambda img, _a, _g: ImageOps.invert(img),
    "posterize": _posterize,
    "denoise": _denoise,
}
_JITTERED = {"brightness", "contrast", "saturation", "warmth", "sepia", "blur", "sharpen"}
_JITTERED |= {"vignette"}
OPERATION_NAMES: tuple[str, ...] = tuple(sorted(_HANDLERS))
