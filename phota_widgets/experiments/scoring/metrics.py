"""Built-in image metrics (no model). Each gives a value; ``min``/``max`` make it a check.

Images are decoded once at most ``METRIC_PX`` (512) on their long side, so values compare
across resolutions and a 4K image costs what a 1K one does; sharpness is measured at that size,
exposure, colourfulness and the perceptual hash at half of it (``STATS_PX``, 256).

======================  ======================================================================
``changed_fraction``    share (0-1) of pixels that changed by more than 0.1 (RGB distance,
                        0-1, after a 3 x 3 blur) from the input image
                        (:mod:`phota_widgets.experiments.review.changes`); ``max: 0.3`` says a local
                        edit stays local, ``min`` that an edit did something.
``sharpness``           variance of the Laplacian (4-neighbour kernel) of the grey image, in
                        grey levels squared: blur lowers it. ``min``: the least acceptable
                        (a few tens is blurry, a few hundred is crisp).
``exposure``            share (0-1) of pixels clipped: grey level at most ``shadow`` (5) or at
                        least ``highlight`` (250). ``max`` (default 0.05): the most clipping
                        allowed.
``colourfulness``       Hasler & Suesstrunk (2003): with rg = R - G and yb = (R + G)/2 - B,
                        M = sqrt(sd(rg)^2 + sd(yb)^2) + 0.3 * sqrt(mean(rg)^2 + mean(yb)^2)
                        (0: grey; about 33 "moderately", 59 "quite", 82+ "highly" colourful).
``distinct``            the smallest perceptual-hash (64-bit pHash, ``imagehash``) Hamming
                        distance to the other outputs of its cell and its repeats; passes when
                        at least ``min_distance`` (default 5) bits differ: lower flags a
                        near-duplicate (0: the same picture).
======================  ======================================================================
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from phota_widgets.experiments.review.changes import CHANGE_THRESHOLD, changed_fraction
from phota_widgets.experiments.scoring.base import BaseScorer, Score, ScoredOutput, open_rgb, within

METRIC_PX = 512
"""Longest side at which images are decoded and sharpness is measured."""
STATS_PX = 256
"""Longest side at which exposure, colourfulness and the perceptual hash are measured."""

_DECODED: OrderedDict[str, tuple[Image.Image, Image.Image]] = OrderedDict()
_DECODED_LOCK = threading.Lock()
_DECODED_KEPT = 16
"""Images kept decoded (a cell's outputs and repeats are scored close together)."""


def decoded(sha256: str, path: Path) -> tuple[Image.Image, Image.Image]:
    """The image at most METRIC_PX and at most STATS_PX on its long side (decoded once)."""
    with _DECODED_LOCK:
        found = _DECODED.get(sha256)
        if found is not None:
            _DECODED.move_to_end(sha256)
            return found
    small = open_rgb(path, METRIC_PX)
    stats = small.copy()
    stats.thumbnail((STATS_PX, STATS_PX), Image.Resampling.BOX)
    with _DECODED_LOCK:
        _DECODED[sha256] = (small, stats)
        while len(_DECODED) > _DECODED_KEPT:
            _DECODED.popitem(last=False)
    return small, stats


def small_rgb(output: ScoredOutput) -> Image.Image:
    """The output at most METRIC_PX on its long side."""
    return decoded(output.sha256, output.path)[0]


def stats_rgb(output: ScoredOutput) -> Image.Image:
    """The output at most STATS_PX on its long side."""
    return decoded(output.sha256, output.path)[1]


def _grey(image: Image.Image) -> np.ndarray[Any, np.dtype[np.float32]]:
    return np.asarray(image.convert("L"), dtype=np.float32)


class _Bounded(BaseScorer):
    """A metric with optional ``min``/``max`` bounds that make it a check."""

    def __init__(
        self, name: str | None = None, *, min: float | None = None, max: float | None = None
    ) -> None:
        if min is not None and max is not None and min > max:
            raise ValueError(f"{self.kind}: min {min} is above max {max}")
        super().__init__(name, min=min, max=max)

    def verdict(self, value: float) -> Score:
        low, high = self.params["min"], self.params["max"]
        ok = within(value, low, high)
        detail = ""
        if ok is False:
            bound = f"below {low}" if low is not None and value < low else f"above {high}"
            detail = f"{self.kind} {value:.3g} {bound}"
        return Score(value, ok, detail)


class ChangedFraction(_Bounded):
    """Share of pixels changed from the input image (edit, enhance, remix)."""

    kind = "changed_fraction"

    def context(self, output: ScoredOutput) -> Mapping[str, Any]:
        return {"input": [p.name for p in output.input_paths[:1]]}

    def score(self, output: ScoredOutput) -> Score:
        if not output.input_paths:
            return Score(None, None, "no input image to compare with")
        value = changed_fraction(output.path, output.input_paths[0], CHANGE_THRESHOLD)
        return self.verdict(value)


class Sharpness(_Bounded):
    """Variance of the Laplacian of the grey image."""

    kind = "sharpness"

    def score(self, output: ScoredOutput) -> Score:
        grey = _grey(small_rgb(output))
        lap = (grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1]) - 4.0 * grey[
            1:-1, 1:-1
        ]
        return self.verdict(float(lap.var()))


class Exposure(BaseScorer):
    """Share of clipped pixels (deep shadows and blown highlights)."""

    kind = "exposure"

    def __init__(
        self, name: str | None = None, *, max: float = 0.05, shadow: int = 5, highlight: int = 250
    ) -> None:
        if not 0 <= max <= 1:
            raise ValueError(f"exposure: max is a share from 0 to 1, got {max}")
        if not 0 <= shadow < highlight <= 255:
            raise ValueError("exposure: need 0 <= shadow < highlight <= 255")
        super().__init__(name, max=max, shadow=shadow, highlight=highlight)

    def score(self, output: ScoredOutput) -> Score:
        grey = _grey(stats_rgb(output))
        dark = float(np.mean(grey <= self.params["shadow"]))
        bright = float(np.mean(grey >= self.params["highlight"]))
        value = dark + bright
        ok = value <= self.params["max"]
        detail = f"clipped: {dark:.1%} shadows, {bright:.1%} highlights"
        return Score(value, ok, "" if ok else detail)


class Colourfulness(_Bounded):
    """Hasler-Suesstrunk colourfulness."""

    kind = "colourfulness"

    def score(self, output: ScoredOutput) -> Score:
        rgb = np.asarray(stats_rgb(output), dtype=np.float32)
        red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        rg = red - green
        yb = 0.5 * (red + green) - blue
        spread = np.sqrt(rg.var() + yb.var())
        centre = np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
        return self.verdict(float(spread + 0.3 * centre))


class Distinct(BaseScorer):
    """Perceptual-hash distance to the nearest other output of the cell and its repeats."""

    kind = "distinct"
    per_group = True

    def __init__(self, name: str | None = None, *, min_distance: int = 5) -> None:
        if not 0 <= min_distance <= 64:
            raise ValueError(f"distinct: min_distance is 0 to 64 bits, got {min_distance}")
        super().__init__(name, min_distance=int(min_distance))

    def context(self, output: ScoredOutput) -> Mapping[str, Any]:
        return {"group": sorted(sha for _, sha, _ in output.group)}

    def score(self, output: ScoredOutput) -> Score:
        others = [(sha, path) for oid, sha, path in output.group if oid != output.output_id]
        if not others:
            return Score(None, None, "no other output to compare with")
        mine = perceptual_hash(output.sha256, output.path)
        nearest = int(min(mine - perceptual_hash(sha, path) for sha, path in others))
        ok = nearest >= self.params["min_distance"]
        detail = "" if ok else f"near-duplicate of another output ({nearest} bits apart)"
        return Score(float(nearest), ok, detail)


_PHASHES: OrderedDict[str, Any] = OrderedDict()
_PHASH_LOCK = threading.Lock()


def perceptual_hash(sha256: str, path: Path) -> Any:
    """The image's 64-bit pHash (remembered for the last 4096 images)."""
    import imagehash

    with _PHASH_LOCK:
        if sha256 in _PHASHES:
            _PHASHES.move_to_end(sha256)
            return _PHASHES[sha256]
    value = imagehash.phash(decoded(sha256, path)[1])
    with _PHASH_LOCK:
        _PHASHES[sha256] = value
        while len(_PHASHES) > 4096:
            _PHASHES.popitem(last=False)
    return value
