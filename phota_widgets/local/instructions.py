"""Plain-English edit prompts -> image operations.

`parse` splits a prompt into clauses ("brighter, warmer and crop to 16:9"), matches each
clause against keyword patterns and reports every clause it did not understand.
:func:`phota_widgets.local.operations.apply` runs the operations in order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass


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
