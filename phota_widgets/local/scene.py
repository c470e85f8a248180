"""Deterministic "generate": a scene drawn from the words of a prompt.

The prompt's words (read by `scene_words`) pick the time of day (sky, sun or moon,
stars), the setting (beach, mountains, city, forest, desert, snow, studio, field), a
subject silhouette and the named colours. Layout details come from a random generator
seeded by a SHA-256 of the prompt and the variation index, so the same request always
draws the same picture and each variation differs visibly. Drawing happens at most at
1024 px, then is upscaled.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from phota_widgets.local.engine import paste_portrait
from phota_widgets.local.scene_shapes import SHAPES, SUBJECT_COLOUR
from phota_widgets.local.scene_words import COLOURS, RGB, Reading, read_prompt

_DRAW_LONG_SIDE = 1024

_SKY: dict[str, tuple[RGB, RGB, RGB, float]] = {  # top, horizon, sun/moon, light on land
    "day": ((62, 125, 210), (178, 212, 240), (255, 250, 225), 1.0),
    "sunrise": ((88, 110, 180), (255, 190, 145), (255, 222, 165), 0.8),
    "sunset": ((55, 45, 115), (255, 125, 60), (255, 170, 80), 0.6),
    "night": ((4, 7, 24), (26, 36, 72), (235, 235, 220), 0.28),
}


_ZOOM = (1.0, 0.78, 1.18, 0.9)
"""Subject size by output index (cycled): each output of a request is framed differently."""

_PLACES = (0.5, 0.34, 0.64, 0.42)
"""Where a lone subject stands across the width, by output index (odd ones are mirrored)."""


def describe(prompt: str) -> list[str]:
    """The features of the prompt that the scene uses, e.g. ``["time: sunset", ...]``."""
    r = read_prompt(prompt)
    out = [f"time: {r.time}"] if r.time else []
    out += [f"setting: {r.setting}"] if r.setting else []
    out += [f"subject: {s}" for s in r.subjects]
    return out + [f"colour: {c}" for c in r.colours]


def notes(prompt: str) -> list[str]:
    """What a generate result says about its prompt: the scene, the words drawn, the rest.

    E.g. ``['scene: ...', 'drew: red, lighthouse, coast, sunset', 'not understood: "rocky"']``.
    """
    r = read_prompt(prompt)
    out = ["scene: " + (", ".join(describe(prompt)) or "default")]
    if r.drawn:
        out.append("drew: " + ", ".join(r.drawn))
    if r.not_understood:
        out.append("not understood: " + ", ".join(f'"{w}"' for w in r.not_understood))
    return out


def generate(
    prompt: str,
    size: tuple[int, int],
    *,
    variation: int = 0,
    portraits: Sequence[Image.Image] = (),
    salt: bytes = b"",
) -> Image.Image:
    """Draw the scene a prompt describes, at exactly `size`.

    Args:
        prompt: The generate prompt; ``[[id]]`` tokens are ignored.
        size: Output (width, height).
        variation: Index of the output; each index draws a different layout.
        portraits: Profile pictures to place into the scene, in slot order.
        salt: Mixed into the layout's seed (a call's own seed: each call lays out anew).
    """
    w, h = size
    if w < 1 or h < 1:
        raise ValueError(f"size must be positive, got {size}")
    reading = read_prompt(prompt)
    seed = hashlib.sha256(f"{prompt}\x00{variation}".encode() + salt).digest()
    rng = np.random.default_rng(int.from_bytes(seed[:8], "big"))
    scale = min(1.0, _DRAW_LONG_SIDE / max(w, h))
    work = (max(1, round(w * scale)), max(1, round(h * scale)))
    img = _Painter(reading, work, rng, bool(portraits), variation).paint()
    if reading.colours:
        tint = Image.new("RGB", work, COLOURS[reading.colours[0]])
        img = Image.blend(img, ImageChops.overlay(img, tint), 0.35 if reading.subject else 0.5)
    for slot, portrait in enumerate(portraits):
        img = paste_portrait(img, portrait, slot, len(portraits))
    return img if img.size == size else img.resize(size, Image.Resampling.BICUBIC)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


class _Painter:
    """Draws one scene on a canvas of the working size."""

    def __init__(
        self,
        reading: Reading,
        size: tuple[int, int],
        rng: np.random.Generator,
        has_portraits: bool = False,
        variation: int = 0,
    ):
        self.r, self.rng, self.has_portraits = reading, rng, has_portraits
        self.variation = variation
        self.w, self.h = size
        self.time = reading.time or "day"
        self.top, self.horizon_rgb, self.sun_rgb, self.light = _SKY[self.time]
        top = np.clip(np.array(self.top) + rng.integers(-14, 15, 3), 0, 255)
        self.top = (int(top[0]), int(top[1]), int(top[2]))
        self.horizon = round(self.h * rng.uniform(0.5, 0.64))
        self.sun = (self.w / 2, self.h / 4)  # where the light comes from; set by sky()
        self.img = Image.new("RGB", size, self.horizon_rgb)
        self.draw = ImageDraw.Draw(self.img)

    def lit(self, colour: RGB) -> RGB:
        """A colour as seen under the scene's light (warm at sunset, blue at night)."""
        tone = {"sunset": (255, 150, 90), "sunrise": (255, 200, 160), "night": (70, 90, 160)}
        return _mix((0, 0, 0), _mix(colour, tone.get(self.time, colour), 0.35), self.light)

    def paint(self) -> Image.Image:
        setting = self.r.setting or "field"
        if setting == "studio":
            self.studio()
        else:
            self.sky()
            painters: dict[str, Callable[[], None]] = {
                "beach": self.beach, "mountains": self.mountains, "city": self.city,
                "forest": self.forest, "desert": self.desert, "snow": self.snow,
                "field": self.field,
            }  # fmt: skip
            painters[setting]()
        kinds = [k for k in self.r.subjects if not (k == "person" and self.has_portraits)]
        for slot, kind in enumerate(kinds):
            self.subject(kind, slot, len(kinds))
        if self.variation % 2 == 1:  # every other output is composed the other way round
            self.img = self.img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        return self.img

    # ------------------------------------------------------------------ sky and light

    def gradient(self, box: tuple[int, int, int, int], top: RGB, bottom: RGB) -> None:
        x0, y0, x1, y1 = box
        if x1 <= x0 or y1 <= y0:
            return
        t = np.linspace(0.0, 1.0, y1 - y0)[:, None, None]
        col = np.array(top, dtype=np.float64) * (1 - t) + np.array(bottom, dtype=np.float64) * t
        rows = np.broadcast_to(col, (y1 - y0, x1 - x0, 3)).astype(np.uint8)
        self.img.paste(Image.fromarray(np.ascontiguousarray(rows)), (x0, y0))

    def sky(self) -> None:
        self.gradient((0, 0, self.w, self.horizon + 1), self.top, self.horizon_rgb)
        unit = min(self.w, self.h)
        if self.time == "night":
            n = int(self.w * self.horizon / 900) + 20
            xs, ys = self.rng.uniform(0, self.w, n), self.rng.uniform(0, self.horizon, n)
            for x, y, b in zip(xs, ys, self.rng.uniform(0.4, 1.0, n), strict=True):
                grey = round(255 * b * (1 - 0.6 * y / max(1, self.horizon)))
                self.draw.point((float(x), float(y)), fill=(grey, grey, grey))
        low = self.time in ("sunset", "sunrise")
        cx = self.w * self.rng.uniform(0.2, 0.8)
        cy = self.horizon * (self.rng.uniform(0.75, 0.92) if low else self.rng.uniform(0.15, 0.4))
        radius = unit * (0.09 if low else 0.05)
        self.glow(cx, cy, radius * (4 if low else 2.5), self.sun_rgb)
        self.draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=self.sun_rgb)
        if self.time == "night":  # a few darker "seas" on the moon
            for ox, oy, k in ((-0.3, -0.2, 0.28), (0.25, 0.1, 0.22), (-0.05, 0.4, 0.18)):
                x, y, r = cx + ox * radius, cy + oy * radius, k * radius
                self.draw.ellipse((x - r, y - r, x + r, y + r), fill=(205, 205, 195))
        self.sun = (cx, cy)

    def glow(self, cx: float, cy: float, radius: float, colour: RGB) -> None:
        """Add a soft light around (cx, cy), computed at quarter size for speed."""
        qw, qh = max(1, self.w // 4), max(1, self.h // 4)
        mask = Image.new("L", (qw, qh), 0)
        r = radius / 4
        ImageDraw.Draw(mask).ellipse((cx / 4 - r, cy / 4 - r, cx / 4 + r, cy / 4 + r), fill=150)
        mask = mask.filter(ImageFilter.GaussianBlur(max(1.0, r / 2)))
        mask = mask.resize((self.w, self.h), Image.Resampling.BILINEAR)
        self.img.paste(colour, (0, 0), mask)

    # ----------------------------------------------------------------------- settings

    def ridge(
        self, base: float, amplitude: float, waves: int, sharp: bool
    ) -> list[tuple[float, float]]:
        xs = np.linspace(0, self.w, 48)
        y = np.zeros_like(xs)
        for k in range(1, waves + 1):
            phase, weight = self.rng.uniform(0, 2 * math.pi), self.rng.uniform(0.4, 1.0) / k
            y += weight * np.sin(xs / self.w * math.pi * (k + 0.5) + phase)
        y = 1 - np.abs(y) if sharp else y
        y = base - amplitude * (y - y.min()) / (np.ptp(y) + 1e-9)
        return [(float(a), float(b)) for a, b in zip(xs, y, strict=True)]

    def fill_below(self, line: list[tuple[float, float]], colour: RGB) -> None:
        self.draw.polygon([*line, (self.w, self.h), (0, self.h)], fill=colour)

    def field(self) -> None:
        for i, green in enumerate([(120, 165, 90), (85, 145, 65), (60, 120, 50)]):
            base = self.horizon + (self.h - self.horizon) * (0.1 + 0.3 * i)
            line = self.ridge(base, self.h * 0.08, 3, False)
            self.fill_below(line, self.lit(_mix(green, self.horizon_rgb, 0.3 - 0.1 * i)))

    def beach(self) -> None:
        sea_top = self.lit(_mix((30, 90, 150), self.horizon_rgb, 0.35))
        shore = round(self.horizon + (self.h - self.horizon) * self.rng.uniform(0.45, 0.6))
        self.gradient((0, self.horizon, self.w, shore), sea_top, self.lit((20, 70, 120)))
        sx = self.sun[0]
        for i in range(14):  # the sun's reflection on the water
            y = self.horizon + (shore - self.horizon) * (i + 0.5) / 14
            half = self.w * 0.02 * (1 + i * 0.25) * self.rng.uniform(0.6, 1.2)
            self.draw.line(
                (sx - half, y, sx + half, y), fill=_mix(self.sun_rgb, sea_top, 0.3), width=2
            )
        line = self.ridge(shore, self.h * 0.04, 2, False)
        self.fill_below([(x, y - 3) for x, y in line], self.lit((240, 240, 235)))
        self.fill_below(line, self.lit((225, 200, 150)))

    def mountains(self) -> None:
        for i in range(3):
            base = self.horizon + self.h * 0.05 * i
            line = self.ridge(base, self.h * (0.32 - 0.08 * i), 4, True)
            rock = _mix((95, 100, 120), self.horizon_rgb, 0.55 - 0.2 * i)
            self.fill_below(line, self.lit(rock))
            if i == 0:
                snowline = min(y for _, y in line) + self.h * 0.07
                caps = [
                    (x, y if y >= snowline else min(y + self.h * 0.03, snowline)) for x, y in line
                ]
                self.draw.polygon(line + caps[::-1], fill=self.lit((240, 242, 248)))
        self.fill_below(self.ridge(self.h * 0.86, self.h * 0.04, 2, False), self.lit((70, 110, 60)))

    def city(self) -> None:
        night = self.time in ("night", "sunset")
        for layer in range(2):
            x = -self.rng.uniform(0, self.w * 0.05)
            while x < self.w:
                bw = self.w * self.rng.uniform(0.05, 0.11)
                top = self.horizon - self.h * self.rng.uniform(0.1, 0.42) * (1 - 0.35 * layer)
                body = self.lit(_mix((70, 75, 90), self.horizon_rgb, 0.45 - 0.3 * layer))
                self.draw.rectangle((x, top, x + bw, self.h), fill=body)
                lit = (255, 215, 120) if night else self.lit((150, 185, 220))
                for wy in np.arange(top + 6, self.horizon - 4, max(6.0, self.h * 0.025)):
                    for wx in np.arange(x + 4, x + bw - 6, max(6.0, self.w * 0.02)):
                        if self.rng.random() < (0.45 if night else 0.8):
                            self.draw.rectangle(
                                (wx, wy, wx + 3 + self.w * 0.006, wy + 3 + self.h * 0.008), lit
                            )
                x += bw + self.w * self.rng.uniform(0.0, 0.02)
        self.draw.rectangle((0, self.horizon, self.w, self.h), fill=self.lit((55, 55, 60)))
        self.draw.rectangle(
            (0, self.h * 0.8, self.w, self.h * 0.81), fill=self.lit((200, 200, 190))
        )

    def forest(self) -> None:
        self.fill_below(self.ridge(self.horizon, self.h * 0.04, 2, False), self.lit((55, 95, 45)))
        for layer in range(3):
            count = 18 - 4 * layer
            for x in np.sort(self.rng.uniform(-0.05, 1.05, count)) * self.w:
                base = (
                    self.horizon
                    + (self.h - self.horizon) * (0.1 + 0.35 * layer)
                    + self.rng.uniform(0, 8)
                )
                tall = self.h * (0.16 + 0.09 * layer) * self.rng.uniform(0.8, 1.2)
                green = self.lit(_mix((30, 80, 40), self.horizon_rgb, 0.35 - 0.15 * layer))
                self.conifer(float(x), float(base), float(tall), green)

    def conifer(self, x: float, base: float, tall: float, green: RGB) -> None:
        self.draw.rectangle(
            (x - tall * 0.04, base - tall * 0.15, x + tall * 0.04, base),
            fill=self.lit((80, 55, 35)),
        )
        for k in range(3):
            y0, half = base - tall * (0.15 + 0.28 * k), tall * (0.3 - 0.07 * k)
            self.draw.polygon([(x - half, y0), (x + half, y0), (x, y0 - tall * 0.42)], fill=green)

    def desert(self) -> None:
        for i, sand in enumerate([(220, 180, 120), (205, 160, 100), (190, 140, 85)]):
            base = self.horizon + (self.h - self.horizon) * (0.05 + 0.35 * i)
            self.fill_below(self.ridge(base, self.h * 0.09, 2, False), self.lit(sand))
        x, base, tall = self.w * self.rng.uniform(0.1, 0.9), self.h * 0.9, self.h * 0.22
        green, arm = self.lit((60, 120, 60)), tall * 0.08
        self.draw.rounded_rectangle((x - arm, base - tall, x + arm, base), radius=arm, fill=green)
        self.draw.rounded_rectangle(
            (x - 4 * arm, base - tall * 0.7, x - 2.2 * arm, base - tall * 0.35),
            radius=arm,
            fill=green,
        )
        self.draw.rectangle((x - 4 * arm, base - tall * 0.45, x, base - tall * 0.35), fill=green)

    def snow(self) -> None:
        self.mountains()
        self.fill_below(self.ridge(self.h * 0.8, self.h * 0.1, 2, False), self.lit((235, 240, 250)))
        pine = self.lit((40, 70, 60))
        for x, y in zip(self.rng.uniform(0, 1, 4), self.rng.uniform(0.85, 0.97, 4), strict=True):
            self.conifer(float(x) * self.w, float(y) * self.h, self.h * 0.2, pine)
        n = int(self.w * self.h / 4000) + 10
        flakes = self.rng.uniform(0, 1, (n, 3)) * (self.w, self.h, 1.4) + (0, 0, 0.8)
        for x, y, r in flakes:
            self.draw.ellipse((x - r, y - r, x + r, y + r), fill=(250, 250, 255))

    def studio(self) -> None:
        back = COLOURS[self.r.colours[1]] if len(self.r.colours) > 1 else (150, 152, 158)
        floor = round(self.h * self.rng.uniform(0.72, 0.8))
        self.gradient((0, 0, self.w, floor), _mix(back, (255, 255, 255), 0.3), back)
        self.gradient(
            (0, floor, self.w, self.h), _mix(back, (0, 0, 0), 0.35), _mix(back, (0, 0, 0), 0.6)
        )
        self.sun = (self.w * self.rng.uniform(0.3, 0.7), self.h * 0.35)
        self.glow(self.sun[0], self.sun[1], min(self.w, self.h) * 0.45, (255, 255, 250))

    # ------------------------------------------------------------------------ subjects

    def subject(self, kind: str, slot: int = 0, count: int = 1) -> None:
        """Draw a named subject in the foreground, in the prompt's colour for its slot.

        Several subjects stand side by side, smaller; each output index varies the size
        and the place of its subjects.
        """
        colours = self.r.colours
        colour = COLOURS[colours[min(slot, len(colours) - 1)]] if colours else SUBJECT_COLOUR[kind]
        night_glass = (255, 210, 120) if self.time == "night" else (160, 200, 230)
        paints: dict[str, RGB] = {
            "m": self.lit(colour), "d": self.lit(_mix(colour, (0, 0, 0), 0.45)),
            "skin": self.lit((225, 182, 150)), "glass": self.lit(night_glass),
            "wood": self.lit((95, 65, 40)), "leaf": self.lit((55, 130, 55)),
            "roof": self.lit((150, 60, 50)), "white": self.lit((250, 248, 240)),
            "yellow": self.lit((250, 200, 50)), "black": (22, 22, 22), "hub": (150, 150, 150),
        }  # fmt: skip
        zoom = _ZOOM[self.variation % len(_ZOOM)] / (1 + 0.3 * (count - 1))
        s = min(self.h * 0.36, self.w * 0.4) * self.rng.uniform(0.9, 1.1) * zoom
        if count == 1:
            place = _PLACES[self.variation % len(_PLACES)] + self.rng.uniform(-0.06, 0.06)
        else:
            place = (slot + 1) / (count + 1) + self.rng.uniform(-0.04, 0.04)
        cx = self.w * place
        base = self.h * self.rng.uniform(0.9, 0.95)
        if kind in {"boat", "fish"}:  # on (or in) the water
            base = self.horizon + (self.h - self.horizon) * 0.25
        if kind == "bird":
            for _ in range(int(self.rng.integers(3, 7))):
                bx, by, bs = self.rng.uniform((0.1, 0.1, 0.08), (0.9, 0.6, 0.16))
                bx, by, bs = bx * self.w, by * self.horizon, bs * s
                wing = [(bx - bs, by - bs * 0.4), (bx, by), (bx + bs, by - bs * 0.4)]
                self.draw.line(wing, fill=paints["m"], width=max(2, round(bs * 0.15)))
            return
        for shape, coords, paint in SHAPES[kind]:
            pts = [
                (cx + x * s, base - y * s) for x, y in zip(coords[::2], coords[1::2], strict=True)
            ]
            fill = paints[paint]
            if shape == "rect":
                self.draw.rectangle((*pts[0], *pts[1]), fill=fill)
            elif shape == "rrect":
                self.draw.rounded_rectangle((*pts[0], *pts[1]), radius=s * 0.07, fill=fill)
            elif shape == "ellipse":
                self.draw.ellipse((*pts[0], *pts[1]), fill=fill)
            elif shape == "poly":
                self.draw.polygon(pts, fill=fill)
            else:  # a thick line
                self.draw.line(pts, fill=fill, width=max(2, round(s * 0.045)))
