"""The prompt vocabulary of the deterministic "generate": the words a scene is drawn from.

`read_prompt` picks the first word naming a time of day, a setting and a subject, and
every named colour, out of the prompt; ``[[id]]`` profile tokens are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RGB = tuple[int, int, int]


def _words(spec: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for part in spec.split(";"):
        key, _, words = part.partition(":")
        table |= dict.fromkeys(words.split(), key.strip())
    return table


_TIMES = _words(
    "sunrise: sunrise dawn morning daybreak; sunset: sunset dusk evening twilight golden;"
    "night: night midnight starry stars moon moonlight moonlit nighttime;"
    "day: day noon sunny daylight afternoon midday"
)
_SETTINGS = _words(
    "beach: beach sea ocean coast shore lake waves seaside island tropical;"
    "mountains: mountain mountains hill hills alps peak peaks valley;"
    "city: city street urban skyline downtown town buildings;"
    "forest: forest woods woodland jungle trees; desert: desert dunes dune sand sahara;"
    "snow: snow snowy winter ski arctic ice glacier;"
    "studio: studio indoor indoors room office portrait headshot backdrop;"
    "field: field meadow grass countryside farm park garden"
)
_SUBJECTS = _words(
    "person: person man woman people girl boy child kid astronaut portrait headshot selfie;"
    "cat: cat cats kitten kitty; dog: dog dogs puppy; car: car cars truck;"
    "house: house home cabin cottage; tree: tree; boat: boat ship sailboat yacht;"
    "bird: bird birds seagull; flower: flower flowers rose roses tulip tulips"
)
COLOURS: dict[str, RGB] = {
    "red": (205, 30, 35), "orange": (240, 130, 25), "yellow": (245, 210, 40),
    "green": (50, 160, 60), "blue": (35, 85, 200), "purple": (125, 50, 165),
    "violet": (140, 80, 200), "pink": (240, 120, 170), "brown": (120, 75, 40),
    "black": (20, 20, 22), "white": (245, 245, 240), "gray": (128, 128, 128),
    "grey": (128, 128, 128), "teal": (0, 128, 128), "cyan": (40, 200, 220),
    "magenta": (210, 40, 160), "gold": (212, 170, 50), "golden": (212, 170, 50),
    "silver": (190, 192, 200), "navy": (20, 35, 100), "turquoise": (50, 210, 195),
    "beige": (225, 205, 170), "maroon": (120, 20, 35),
}  # fmt: skip


@dataclass(frozen=True)
class Reading:
    """What a prompt asks for: time of day, setting, subject, named colours (in order)."""

    time: str | None
    setting: str | None
    subject: str | None
    colours: tuple[str, ...]


def read_prompt(prompt: str) -> Reading:
    """The scene features a prompt names (None for a feature it does not name)."""
    text = re.sub(r"\[\[[^\[\]]*\]\]", " ", prompt or "").lower()
    text = text.replace("golden hour", "sunset").replace("blue hour", "dusk")
    tokens = re.findall(r"[a-z]+", text)

    def first(table: dict[str, str]) -> str | None:
        return next((table[t] for t in tokens if t in table), None)

    colours = tuple(dict.fromkeys(t for t in tokens if t in COLOURS))
    return Reading(first(_TIMES), first(_SETTINGS), first(_SUBJECTS), colours)
