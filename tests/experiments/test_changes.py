"""Change maps: where an output differs from its input, aligned for size, on thumbnails."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from phota_widgets.experiments.review.changes import (
    CHANGE_MAP_PX,
    change_map,
    change_map_jpeg,
    changed_fraction,
)

DATA = Path(__file__).parent.parent / "data"


def _jpeg(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=92)
    return out.getvalue()


def test_a_local_edit_shows_where_it_landed() -> None:
    before = Image.open(DATA / "astronaut.jpg").convert("RGB")
    after = before.copy()
    w, h = after.size
    ImageDraw.Draw(after).rectangle([0, 0, w // 4, h // 4], fill=(255, 0, 255))  # top-left 1/16
    amount = change_map(_jpeg(after), _jpeg(before))
    assert max(amount.shape) == CHANGE_MAP_PX
    rows, cols = amount.shape
    assert amount[: rows // 5, : cols // 5].mean() > 0.3  # inside the edited corner
    assert amount[rows // 2 :, cols // 2 :].mean() < 0.03  # far from it: JPEG noise only
    fraction = changed_fraction(_jpeg(after), _jpeg(before))
    assert 1 / 16 * 0.8 < fraction < 1 / 16 * 1.4


def test_the_same_image_resized_is_unchanged_and_a_new_one_is_changed() -> None:
    before = Image.open(DATA / "astronaut.jpg").convert("RGB")
    bigger = before.resize((before.width * 2, before.height * 2))
    assert changed_fraction(bigger, before) < 0.01  # aligned for size
    inverted = Image.eval(before, lambda v: 255 - v)
    assert changed_fraction(inverted, DATA / "astronaut.jpg") > 0.8


def test_the_picture_is_a_small_jpeg_and_cheap() -> None:
    before = (DATA / "chelsea.jpg").read_bytes()
    after = _jpeg(Image.eval(Image.open(io.BytesIO(before)), lambda v: min(255, v + 60)))
    started = time.perf_counter()
    picture = change_map_jpeg(after, before)
    elapsed = time.perf_counter() - started
    with Image.open(io.BytesIO(picture)) as img:
        assert img.format == "JPEG" and max(img.size) == CHANGE_MAP_PX
        pixels = np.asarray(img.convert("RGB"), dtype=float)
    assert pixels[..., 0].mean() > pixels[..., 2].mean() + 40  # brightened everywhere: red
    assert len(picture) < 60_000
    assert elapsed < 5.0  # generous: the machine is shared; typically a few ms


def test_bad_threshold_is_named() -> None:
    with pytest.raises(ValueError, match="threshold"):
        changed_fraction(DATA / "chelsea.jpg", DATA / "chelsea.jpg", threshold=1.5)
