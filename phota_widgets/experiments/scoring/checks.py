"""Built-in checks of what was asked against what came back (no model, no image statistics).

=================  ===========================================================================
``aspect_ratio``   width / height within ``tolerance`` (default 1%) of the requested ratio:
                   ``|w/h - a/b| / (a/b) <= tolerance``. Not applicable (None) for ``auto``.
``resolution``     the long side equals the requested resolution's (1K: 1024, 2K: 2048,
                   4K: 4096 px), within ``tolerance`` px (default 0).
``count``          images returned equal ``num_output_images`` asked (default 1).
``max_cost``       the run's estimated cost (US dollars) is at most the limit.
``max_latency``    the run's time (seconds, submit to last image) is at most the limit.
``profile_present`` every ``[[id]]`` of the filled prompt is among the run's
                   ``known_subjects`` with a count above 0; the value is the share present.
=================  ===========================================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from phota_widgets.experiments.scoring.base import BaseScorer, Score, ScoredOutput

LONG_SIDE = {"1K": 1024, "2K": 2048, "4K": 4096}
"""The long side, in pixels, of each requested resolution."""

PROFILE_ID = re.compile(r"\[\[([^\[\]\s]+)\]\]")


class AspectRatio(BaseScorer):
    """The image's width / height matches the requested ratio within ``tolerance``."""

    kind = "aspect_ratio"

    def __init__(
        self, name: str | None = None, *, tolerance: float = 0.01, ratio: str | None = None
    ):
        if not 0 <= tolerance < 1:
            raise ValueError(f"aspect_ratio: tolerance must be from 0 to below 1, got {tolerance}")
        params: dict[str, Any] = {"tolerance": tolerance}
        if ratio is not None:
            _parse_ratio(ratio)
            params["ratio"] = ratio
        super().__init__(name, **params)

    def context(self, output: ScoredOutput) -> Mapping[str, Any]:
        return {"asked": self._asked(output)}

    def _asked(self, output: ScoredOutput) -> str | None:
        asked = self.params.get("ratio") or output.settings.get("aspect_ratio")
        return None if asked in (None, "auto") else str(asked)

    def score(self, output: ScoredOutput) -> Score:
        measured = output.width / output.height
        asked = self._asked(output)
        if asked is None:
            return Score(measured, None, "no aspect ratio was asked (auto)")
        target = _parse_ratio(asked)
        error = abs(measured - target) / target
        ok = error <= self.params["tolerance"]
        size = f"{output.width}x{output.height}"
        return Score(measured, ok, f"{size} is {error:.1%} off {asked}" if not ok else "")


class ResolutionCheck(BaseScorer):
    """The long side is the requested resolution's (1K: 1024 px, 2K: 2048, 4K: 4096)."""

    kind = "resolution"

    def __init__(self, name: str | None = None, *, tolerance: int = 0) -> None:
        super().__init__(name, tolerance=int(tolerance))

    def context(self, output: ScoredOutput) -> Mapping[str, Any]:
        return {"asked": output.settings.get("resolution", "1K")}

    def score(self, output: ScoredOutput) -> Score:
        long_side = max(output.width, output.height)
        asked = str(output.settings.get("resolution", "1K"))
        want = LONG_SIDE.get(asked)
        if want is None:
            return Score(long_side, None, f"unknown resolution {asked!r}")
        ok = abs(long_side - want) <= self.params["tolerance"]
        return Score(long_side, ok, "" if ok else f"long side {long_side} px, asked {asked}")


class Count(BaseScorer):
    """The run returned as many images as it asked for (``num_output_images``)."""

    kind = "count"

    def context(self, output: ScoredOutput) -> Mapping[str, Any]:
        return {"asked": self._asked(output), "returned": output.images_returned}

    def _asked(self, output: ScoredOutput) -> int:
        return int(output.settings.get("num_output_images", 1) or 1)

    def score(self, output: ScoredOutput) -> Score:
        asked, got = self._asked(output), output.images_returned
        ok = got == asked
        return Score(float(got), ok, "" if ok else f"{got} images returned, {asked} asked")


class MaxCost(BaseScorer):
    """The run's estimated cost is at most ``limit`` US dollars."""

    kind = "max_cost"

    def __init__(self, name: str | None = None, *, limit: float) -> None:
        if limit < 0:
            raise ValueError(f"max_cost: the limit must be 0 or more, got {limit}")
        super().__init__(name, limit=float(limit))

    def context(self, output: ScoredOutput) -> Mapping[str, Any]:
        return {"cost": output.cost}

    def score(self, output: ScoredOutput) -> Score:
        if output.cost is None:
            return Score(None, None, "the run has no cost estimate")
        ok = output.cost <= self.params["limit"]
        return Score(
            output.cost, ok, "" if ok else f"cost ${output.cost:.4f} > ${self.params['limit']}"
        )


class MaxLatency(BaseScorer):
    """The run took at most ``limit`` seconds."""

    kind = "max_latency"

    def __init__(self, name: str | None = None, *, limit: float) -> None:
        if limit <= 0:
            raise ValueError(f"max_latency: the limit must be above 0 seconds, got {limit}")
        super().__init__(name, limit=float(limit))

    def context(self, output: ScoredOutput) -> Mapping[str, Any]:
        return {"latency": output.latency}

    def score(self, output: ScoredOutput) -> Score:
        if output.latency is None:
            return Score(None, None, "the run has no recorded time")
        ok = output.latency <= self.params["limit"]
        detail = "" if ok else f"took {output.latency:.1f} s > {self.params['limit']} s"
        return Score(output.latency, ok, detail)


class ProfilePresent(BaseScorer):
    """Every ``[[id]]`` of the prompt was recognised (counted in ``known_subjects``)."""

    kind = "profile_present"

    def context(self, output: ScoredOutput) -> Mapping[str, Any]:
        return {"prompt": output.prompt, "known": dict(output.known_subjects)}

    def score(self, output: ScoredOutput) -> Score:
        wanted = list(dict.fromkeys(PROFILE_ID.findall(output.prompt or "")))
        if not wanted:
            return Score(None, None, "the prompt names no [[profile]]")
        missing = [p for p in wanted if output.known_subjects.get(p, 0) <= 0]
        share = 1 - len(missing) / len(wanted)
        detail = "" if not missing else "not recognised: " + ", ".join(f"[[{p}]]" for p in missing)
        return Score(share, not missing, detail)


def _parse_ratio(text: str) -> float:
    width, sep, height = str(text).partition(":")
    try:
        value = float(width) / float(height)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"aspect_ratio: {text!r} is not a ratio like 16:9") from None
    if not sep or value <= 0:
        raise ValueError(f"aspect_ratio: {text!r} is not a ratio like 16:9")
    return value
