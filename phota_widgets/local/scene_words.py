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
    "person: person man woman people girl boy child kid astronaut portrait headshot selfie "
    "men women children kids family friends couple surfer hiker runner;"
    "cat: cat cats kitten kitty; dog: dog dogs puppy; car: car cars truck jeep taxi;"
    "house: house home cabin cottage hut barn farmhouse; tree: tree oak; "
    "boat: boat ship sailboat yacht canoe ferry;"
    "bird: bird birds seagull seagulls eagle crow owl; "
    "flower: flower flowers rose roses tulip tulips sunflower daisy;"
    "lighthouse: lighthouse beacon; castle: castle tower church cathedral palace fortress temple;"
    "skyscraper: skyscraper skyscrapers building highrise; windmill: windmill windmills;"
    "horse: horse horses pony donkey deer cow cows cattle bull sheep goat lamb;"
    "fish: fish whale dolphin shark; bicycle: bicycle bicycles bike bikes cyclist;"
    "bus: bus tram van train; plane: plane airplane aeroplane jet aircraft;"
    "rocket: rocket spaceship; cactus: cactus cacti; palm: palm palms"
)
_FILLER = frozenset(
    _words(
        "filler: a an the of on in at by with and or to from near under over above below "
        "beside behind into onto its their his her this that these those some very is are be "
        "being it as for photo picture image shot view scene style showing make made looking"
    )
)
"""Words that name nothing to draw: never reported as not understood."""

MAX_SUBJECTS = 3
"""Subjects drawn side by side at most."""
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
    """What a prompt asks for: time of day, setting, subjects, named colours (in order).

    Attributes:
        subject: the first subject (None when the prompt names none).
        subjects: every subject kind named, in order (at most :data:`MAX_SUBJECTS`).
        drawn: the prompt's words the scene is drawn from.
        not_understood: the prompt's other words that name something (not filler).
    """

    time: str | None
    setting: str | None
    subject: str | None
    colours: tuple[str, ...]
    subjects: tuple[str, ...] = ()
    drawn: tuple[str, ...] = ()
    not_understood: tuple[str, ...] = ()


def read_prompt(prompt: str) -> Reading:
    """The scene features a prompt names (None for a feature it does not name)."""
    text = re.sub(r"\[\[[^\[\]]*\]\]", " ", prompt or "").lower()
    original = text
    text = text.replace("golden hour", "sunset").replace("blue hour", "dusk")
    tokens = re.findall(r"[a-z]+", text)

    def first(table: dict[str, str]) -> str | None:
        return next((table[t] for t in tokens if t in table), None)

    colours = tuple(dict.fromkeys(t for t in tokens if t in COLOURS))
    subjects = tuple(dict.fromkeys(_SUBJECTS[t] for t in tokens if t in _SUBJECTS))
    subjects = subjects[:MAX_SUBJECTS]
    time, setting = first(_TIMES), first(_SETTINGS)

    def used(t: str) -> bool:
        return (
            t in COLOURS
            or (t in _TIMES and _TIMES[t] == time)
            or (t in _SETTINGS and _SETTINGS[t] == setting)
            or _SUBJECTS.get(t) in subjects
        )

    drawn = [t for t in tokens if used(t)]
    if "golden hour" in original or "blue hour" in original:
        drawn = [t for t in drawn if t not in {"sunset", "dusk"}]
        drawn.append("golden hour" if "golden hour" in original else "blue hour")
    skipped = [t for t in tokens if not used(t) and t not in _FILLER and len(t) > 1]
    skipped = [t for t in skipped if t not in {"golden", "hour"}]
    return Reading(
        time,
        setting,
        subjects[0] if subjects else None,
        colours,
        subjects,
        tuple(dict.fromkeys(drawn)),
        tuple(dict.fromkeys(skipped)),
    )
