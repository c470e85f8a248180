"""Prices as data, and cost estimates before and after a request.

Enhance/remix and training prices are Phota's documented ones. Phota does not publish its
per-model edit/generate table; the defaults below use what resellers charge ($0.09 per image,
$0.18 at 4K) and, as for enhance, a 25% higher rate when a profile is recognised (our
assumption). Pass your own :class:`PriceTable` (``PriceTable.from_dict``) to override them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from phota_widgets.api.models import referenced_profiles

VARIABLE_PRICE_MODELS = frozenset({"gpt-image-2"})
"""Models billed by tokens: their price varies per request, so an estimate is only a guide."""

PROFILE_RATE = 1.25
"""Edit/generate: how much more an image costs when a profile is recognised (ours)."""

DEFAULT_PRICES: dict[str, Any] = {
    "enhance": {"image": 0.12, "image_with_profile": 0.15},
    "remix": {"image": 0.12, "image_with_profile": 0.15},
    "edit": {
        model: {"1K": 0.09, "2K": 0.09, "4K": 0.18}
        for model in ("nb2", "gpt-image-2", "qwen-image-2", "flux-2", "reve")
    },
    "generate": {
        model: {"1K": 0.09, "2K": 0.09, "4K": 0.18}
        for model in ("nb2", "gpt-image-2", "qwen-image-2", "flux-2", "reve")
    },
    "profile_rate": PROFILE_RATE,
    "training": {"standard": 2.90, "fast": 1.49},
}


@dataclass(frozen=True)
class PriceTable:
    """Prices in US dollars, as nested data: endpoint -> model -> resolution -> per image."""

    data: Mapping[str, Any] = field(default_factory=lambda: DEFAULT_PRICES)

    @classmethod
    def from_dict(cls, overrides: Mapping[str, Any]) -> PriceTable:
        """The default table with some entries replaced (merged one level deep)."""
        merged: dict[str, Any] = {k: v for k, v in DEFAULT_PRICES.items()}
        for key, value in overrides.items():
            if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        return cls(merged)

    def per_image(self, endpoint: str, params: Mapping[str, Any], *, with_profile: bool) -> float:
        """Price of one output image of a request."""
        if endpoint in ("enhance", "remix"):
            entry = self.data[endpoint]
            return float(entry["image_with_profile" if with_profile else "image"])
        if endpoint not in ("edit", "generate"):
            raise ValueError(f"no prices for endpoint {endpoint!r}")
        model = _value(params.get("base_model", "nb2"))
        resolution = _value(params.get("resolution", "1K"))
        try:
            base = float(self.data[endpoint][model][resolution])
        except KeyError:
            raise ValueError(f"no {endpoint} price for {model} at {resolution}") from None
        return base * float(self.data.get("profile_rate", PROFILE_RATE)) if with_profile else base

    def is_variable(self, endpoint: str, params: Mapping[str, Any]) -> bool:
        """Whether the estimate is only a guide: the model is billed by tokens (gpt-image-2)."""
        if endpoint not in ("edit", "generate"):
            return False
        return _value(params.get("base_model", "nb2")) in VARIABLE_PRICE_MODELS

    def training(self, tier: str) -> float:
        """Price of training one profile."""
        return float(self.data["training"][_value(tier)])

    def estimate(
        self,
        endpoint: str,
        params: Mapping[str, Any],
        known_subjects: Mapping[str, int] | None = None,
    ) -> float:
        """Cost of a request.

        Before sending (``known_subjects`` is None) it is an upper bound: a request that names a
        profile is priced at the profile rate. After the answer, the recognised subjects decide.
        """
        count = int(params.get("num_output_images", 1))
        if known_subjects is None:
            with_profile = bool(referenced_profiles(params))
            return round(count * self.per_image(endpoint, params, with_profile=with_profile), 4)
        recognised = min(count, max(known_subjects.values(), default=0))
        plain = count - recognised
        cost = recognised * self.per_image(endpoint, params, with_profile=True)
        cost += plain * self.per_image(endpoint, params, with_profile=False)
        return round(cost, 4)


def _value(value: Any) -> str:
    """Plain string of an enum member or a string."""
    return str(getattr(value, "value", value))


DEFAULT_PRICE_TABLE = PriceTable()
DEFAULT_CONFIRM_ABOVE = 5.0
"""US dollars above which a sweep on the real API is confirmed before sending."""


def estimate(
    endpoint: str,
    params: Mapping[str, Any],
    known_subjects: Mapping[str, int] | None = None,
    *,
    prices: PriceTable = DEFAULT_PRICE_TABLE,
) -> float:
    """Estimate a request's cost in US dollars with a price table (the default one unless given)."""
    return prices.estimate(endpoint, params, known_subjects)
