"""Plain-English edit prompts -> image operations, and applying them with Pillow.

`parse` splits a prompt into clauses ("brighter, warmer and crop to 16:9"), matches each
clause against keyword patterns and reports every clause it did not understand.
`apply` runs the operations in order.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from phota_widgets.local.engine import fit, resize_box


@dataclass(frozen=True)
class Operation:
    """One image operation.

    Attributes:
        name: The operation ("brightness", "crop", "rotate", ...).
        amount: Signed strength (1.0 = a normal step); degrees clockwise for "rotate";
            the kept fraction for "crop" without a ratio; the canvas scale for "extend"
            without a ratio.
        arg: An aspect ratio "W:H" for "crop" and "extend", else None.
    """

    name: str
    amount: float = 1.0
    arg: str | None = None


@dataclass(frozen=True)
class Instructions:
    """The operations a prompt asks for, and notes on what was not understood."""

    operations: tuple[Operation, ...]
    notes: tuple[str, ...]


_Factory = Callable[["re.Match[str]", float], "Operation | None"]

MAX_AMOUNT = 3.0
"""Largest strength a prompt may ask for ("darker by 100000%" is clamped to it)."""
MAX_RATIO = 4.0
"""Crop/extend ratios beyond 4:1 (or 1:4) are not understood (they would be huge or thin)."""
MAX_ZOOM_OUT = 3.0


def _fixed(name: str, amount: float = 1.0, arg: str | None = None) -> _Factory:
    return lambda _m, _scale: Operation(name, amount, arg)


def _scaled(name: str, amount: float) -> _Factory:
    """An operation whose strength follows the clause's modifiers or a percentage."""

    def make(m: re.Match[str], scale: float) -> Operation:
        pct = re.search(r"([+-]?)\s*(\d+(?:\.\d+)?)\s*(?:%|percent)", m.string)
        if pct is None:
            return Operation(name, round(max(-MAX_AMOUNT, min(MAX_AMOUNT, amount * scale)), 4))
        sign = -1.0 if pct.group(1) == "-" else 1.0 if pct.group(1) else math.copysign(1, amount)
        value = (
            min(sign * float(pct.group(2)) / 100, MAX_AMOUNT)
            if sign > 0
            else max(sign * float(pct.group(2)) / 100, -MAX_AMOUNT)
        )
        return Operation(name, round(value, 4))

    return make


def _ratio(name: str) -> _Factory:
    def make(m: re.Match[str], _scale: float) -> Operation | None:
        w, h = int(m.group("w")), int(m.group("h"))
        if w <= 0 or h <= 0 or max(w / h, h / w) > MAX_RATIO:
            return None
        return Operation(name, 1.0, f"{w}:{h}")

    return make


def _rotate(m: re.Match[str], _scale: float) -> Operation | None:
    text = m.group(0)
    if "upside" in text:
        return Operation("rotate", 180.0)
    number = re.search(r"-?\d+(?:\.\d+)?", text)
    degrees = float(number.group(0)) if number else 90.0
    if not math.isfinite(degrees):
        return None
    degrees = math.fmod(degrees, 360.0)
    if re.search(r"\b(left|ccw|counter-?clockwise|anti-?clockwise)\b", text):
        degrees = -abs(degrees)
    return Operation("rotate", degrees)


def _unsupported(_m: re.Match[str], _scale: float) -> None:
    return None


_C = r"colou?rs?"
_BRIGHT = r"(?:brightness|exposure)"
_ANGLE = (
    r"(?:(?: (?:it|the image|the photo|by))*\s*(?:-?\d+(?:\.\d+)?\s*(?:°|degrees?|deg)?\s*)?"
    r"(?:clockwise|counter-?clockwise|anti-?clockwise|ccw|cw|left|right)\b"
    r"|(?: (?:it|the image|the photo|by))*\s*-?\d+(?:\.\d+)?\s*(?:°|degrees?|deg)?)"
)
_CROP_TO = r"(?:\b(?:crop(?:ped)?|trim|reframe)(?: it| the image| the photo)?(?: to| into| as| at)?"
_CROP_TO += r"(?: an?)?\s*)?"
_CROP_AFTER = r"(?:\s*(?:crop|format|aspect(?: ratio)?|ratio|frame)\b)?"
# Ordered: earlier patterns claim their words first, so "less saturated" is never "saturated".
_RULES: list[tuple[str, _Factory]] = [
    (r"\badd(?:ing)?\b.*\b(?:noise|grain)\b", _unsupported),
    (r"\b(?:b&w|b/w|gr[ae]y ?scale|monochrome|mono|no " + _C + r"|colou?rless|gr[ae]y)\b",
     _fixed("grayscale")),
    (r"\b(?:sepia|vintage|old[- ]fashioned|old photo|antique|retro)\b", _fixed("sepia")),
    (r"\b(?:invert(?:ed)?|negative|inverse)\b", _fixed("invert")),
    (r"\b(?:posteri[sz](?:e|ed|ation)|poster|pop art)\b", _scaled("posterize", 1.0)),
    (r"\b(?:de-?noise|(?:remove|reduce|less|fix|clean up)(?: the)? (?:noise|grain)|noise"
     r"(?: reduction)?|less grainy|grainy|noisy)\b", _scaled("denoise", 1.0)),
    (r"\b(?:vignett(?:e|ing)|dark(?:en|er)? (?:the )?(?:edges|corners))\b",
     _scaled("vignette", 1.0)),
    (r"\b(?:sharpen|sharper|crisper|crisp|more detail(?:ed)?|de-?blur|unblur|less blurry|"
     r"(?:remove|fix)(?: the)? blur|in focus|clarity)\b", _scaled("sharpen", 1.0)),
    (r"\b(?:blur(?:ry|red)?|soften|softer|soft focus|defocus(?:ed)?|out of focus)\b",
     _scaled("blur", 1.0)),
    (r"\b(?:less|decrease|lower|reduce|low|weaker)(?: the)? contrast\b|\bflatter\b",
     _scaled("contrast", -0.3)),
    (r"\b(?:more|increase|higher|boost|raise|add|stronger|high)(?: the)? contrast\b|"
     r"\bcontrast(?:y)?\b|\bpunch(?:ier|y)?\b", _scaled("contrast", 0.3)),
    (r"\b(?:less (?:saturat(?:ed|ion)|vivid|vibrant|colou?rful|" + _C + r")|desaturat(?:e|ed)|"
     r"muted?|faded?|pastel|dull(?:er)?|washed[- ]out)\b", _scaled("saturation", -0.35)),
    (r"\b(?:more (?:saturat(?:ed|ion)|vivid|vibrant|colou?rful|" + _C + r")|saturat(?:e|ed|ion)|"
     r"vivid|vibrant|colou?rful|(?:boost|richer|punchier)(?: the)? " + _C + r")\b",
     _scaled("saturation", 0.35)),
    (r"\b(?:less warm|cool(?:er)?|cold(?:er)?|icy|bluer|more blue)\b", _scaled("warmth", -0.25)),
    (r"\b(?:warm(?:er|th)?|golden|more orange|more yellow|cozier|sunnier)\b",
     _scaled("warmth", 0.25)),
    (r"\b(?:darker|darken|dim(?:mer)?|(?:decrease|lower|reduce|less)(?: the)? " + _BRIGHT
     + r"|less bright|underexposed?|dark|moodier)\b", _scaled("brightness", -0.25)),
    (r"\b(?:brighter|brighten|lighter|lighten|(?:increase|raise|boost|more)(?: the)? " + _BRIGHT
     + r"|overexposed?|bright|less dark|" + _BRIGHT + r")\b", _scaled("brightness", 0.25)),
    (r"\bflip(?:ped)?(?: it)?(?: the image)? (?:horizontal(?:ly)?|left[- ]to[- ]right|sideways)"
     r"\b|\bmirror(?:ed)?\b", _fixed("mirror")),
    (r"\bflip(?:ped)?\b(?:(?: it)? (?:vertical(?:ly)?|upside[- ]down|top[- ]to[- ]bottom))?",
     _fixed("flip")),
    (r"\brotat(?:e|ed|ion)\b" + _ANGLE + r"?|\bturn\b" + _ANGLE + r"|\bupside[- ]down\b", _rotate),
    (r"\b(?:extend|expand|outpaint|pad|uncrop|widen)\b.*?\b(?P<w>\d{1,3})\s*(?::|x|/|by)\s*"
     r"(?P<h>\d{1,3})\b", _ratio("extend")),
    (r"\b(?:extend|expand|outpaint|uncrop|zoom(?:ed)? out)\b",
     lambda _m, s: Operation("extend", round(1 + 0.25 * s, 4))),
    (_CROP_TO + r"\b(?P<w>\d{1,3})\s*(?::|x|/|by)\s*(?P<h>\d{1,3})\b" + _CROP_AFTER,
     _ratio("crop")),
    (_CROP_TO + r"\bsquare\b" + _CROP_AFTER, _fixed("crop", 1.0, "1:1")),
    (r"\b(?:portrait|vertical) (?:format|orientation|crop)\b|\bcrop (?:to )?portrait\b",
     _fixed("crop", 1.0, "3:4")),
    (r"\b(?:landscape|horizontal) (?:format|orientation|crop)\b|\bcrop (?:to )?landscape\b",
     _fixed("crop", 1.0, "4:3")),
    (r"\b(?:crop(?:ped)?|zoom(?:ed)? in|tighter)\b",
     lambda _m, s: Operation("crop", round(max(0.3, 1 - 0.2 * s), 4))),
]  # fmt: skip
_COMPILED = [(re.compile(p, re.IGNORECASE), f) for p, f in _RULES]
_STRONG = re.compile(
    r"\b(?:much|a lot|lots|way|very|really|far|significantly|considerably|heavily|strongly|"
    r"super|extremely|a great deal)\b",
    re.IGNORECASE,
)
_WEAK = re.compile(
    r"\b(?:a (?:little )?bit|a little|slightly|somewhat|a touch|a tad|subtly|gently|mildly|"
    r"lightly|barely|a hint)\b",
    re.IGNORECASE,
)
_PROFILE = re.compile(r"\[\[[^\[\]]*\]\]")
_SPLIT = re.compile(r"[;,!?\n]+|\.(?!\d)|\s+(?:and|then|also|plus|&)\s+", re.IGNORECASE)
_FILLER = frozenset(
    {"make", "it", "its", "it's", "the", "image", "photo", "picture", "pic", "please", "a",
     "an", "bit", "little", "look", "more", "less", "very", "much", "slightly", "and", "then",
     "also", "to", "of", "with", "this", "me", "can", "you", "could", "would", "i", "want",
     "like", "some", "be", "should", "overall", "just", "so", "that", "is", "give", "apply",
     "whole", "entire", "thanks", "thank", "okay", "ok", "now", "lot", "somewhat", "really",
     "tone", "feel", "by"}
)  # fmt: skip


def parse(prompt: str) -> Instructions:
    """Read a plain-English edit prompt into operations.

    Profile tokens like ``[[abc]]`` are removed first. Each clause that names no known
    operation yields a note ``not understood: "<clause>"``.
    """
    text = _PROFILE.sub(" ", prompt or "")
    text = re.sub(r"\bblack[\s-]*(?:and|&|n)[\s-]*white\b", "b&w", text, flags=re.IGNORECASE)
    operations: list[Operation] = []
    notes: list[str] = []
    for raw in _SPLIT.split(text):
        clause = " ".join(raw.split())
        if not clause:
            continue
        found = _match_clause(clause)
        operations.extend(op for op in found if op is not None)
        words = re.findall(r"[a-z0-9&'/]+", clause.lower())
        if (not found or all(op is None for op in found)) and not set(words) <= _FILLER:
            notes.append(f'not understood: "{clause}"')
    return Instructions(tuple(operations), tuple(notes))


def _match_clause(clause: str) -> list[Operation | None]:
    """All operations a clause names, in the order they appear in it."""
    scale = 1.0
    if _STRONG.search(clause):
        scale *= 2.5 if re.search(r"\bextremely\b", clause, re.IGNORECASE) else 2.0
    if _WEAK.search(clause):
        scale *= 0.5
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, Operation | None]] = []
    for pattern, factory in _COMPILED:
        for m in pattern.finditer(clause):
            start, end = m.span()
            if end == start or any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            found.append((start, factory(m, scale)))
    found.sort(key=lambda item: item[0])
    unique: list[Operation | None] = []
    for _, op in found:  # "a warm golden tone" is one warmth step, not two
        if op is None or op not in unique:
            unique.append(op)
    return unique


# ------------------------------------------------------------------------------ apply


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
