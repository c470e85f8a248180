"""Trying profiles offline: a demo profile from the sample portrait, and the per-tier photo rule.

The embedded stand-in server trains from copies of one portrait, so a first-time user can make
a profile in one click; Phota itself needs different photos of the same person, which
:func:`tier_help` says plainly.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import ipywidgets as w

from phota_widgets.api.errors import InvalidRequestError
from phota_widgets.api.models import TRAINING_IMAGE_COUNTS, TrainingTier
from phota_widgets.samples import sample
from phota_widgets.widgets._common import styled

if TYPE_CHECKING:
    from phota_widgets.session import Session

DEMO_PORTRAIT = "astronaut.jpg"
DEMO_TAG = "demo"


def demo_button() -> w.Button:
    """The "Demo profile" button (class ``phota-profile-demo``)."""
    return styled(
        w.Button(
            description="Demo profile from the sample portrait",
            icon="magic",
            tooltip="offline only: trains a fast profile from the shipped astronaut portrait",
            layout=w.Layout(width="auto"),
        ),
        "profile-demo",
    )


def demo_note() -> w.HTML:
    """What the demo profile is (shown beside its button)."""
    return w.HTML(
        "<small>The stand-in accepts copies of one portrait; Phota needs different "
        "photos of the same person.</small>"
    )


def tier_help() -> w.HTML:
    """How many photos of one person each training tier needs, in plain words."""
    need = ", ".join(
        f"{tier.value}: {low}–{high}" for tier, (low, high) in TRAINING_IMAGE_COUNTS.items()
    )
    return w.HTML(
        f"<small>Each tier needs photos of <b>one and the same person</b> ({need} "
        "photos): the face clearly visible, varied angles and light.</small>"
    )


async def train_demo_profile(session: Session) -> str:
    """Start training a fast profile from the sample portrait; returns its id.

    Raises:
        InvalidRequestError: the session uses a real key (Phota needs real photos).
        PhotaError: the server refused it.
    """
    if not session.is_local:
        raise InvalidRequestError(
            "The demo profile is for the offline stand-in server; with a Phota key, give "
            "photos of one person (public image URLs)."
        )
    low, _high = TRAINING_IMAGE_COUNTS[TrainingTier.FAST]
    portrait = await asyncio.to_thread(sample, DEMO_PORTRAIT)
    return await session.aclient.profiles.add([portrait] * low, TrainingTier.FAST.value, DEMO_TAG)
