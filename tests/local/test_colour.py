"""Tests for phota_widgets.local.colour: Lab conversion and remix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from phota_widgets.local import colour

DATA = Path(__file__).resolve().parent.parent / "data"


def load(name: str) -> Image.Image:
    return Image.open(DATA / name).convert("RGB")


def arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.float64)


def lab_mean(img: Image.Image) -> np.ndarray:
    lab = colour.rgb_to_lab(arr(img) / 255.0).reshape(-1, 3)
    return np.asarray(lab.mean(axis=0))


def test_lab_round_trip() -> None:
    rgb = np.random.default_rng(0).uniform(0, 1, (500, 3))
    assert np.abs(colour.lab_to_rgb(colour.rgb_to_lab(rgb)) - rgb).max() < 1e-6
    assert np.allclose(colour.rgb_to_lab(np.array([1.0, 1.0, 1.0])), [100, 0, 0], atol=0.01)


@pytest.mark.parametrize(
    ("src", "ref"), [("chelsea.jpg", "rocket.jpg"), ("rocket.jpg", "coffee.jpg")]
)
def test_remix_moves_colour_toward_reference_and_keeps_content(src: str, ref: str) -> None:
    img, reference = load(src), load(ref)
    out = colour.remix(img, reference, long_side=max(img.size))
    assert out.size == img.size
    before = np.linalg.norm(lab_mean(img) - lab_mean(reference))
    after = np.linalg.norm(lab_mean(out) - lab_mean(reference))
    assert before > 20
    assert after < 0.4 * before
    corr = np.corrcoef(arr(img.convert("L")).ravel(), arr(out.convert("L")).ravel())[0, 1]
    assert corr > 0.85


def test_remix_keeps_aspect_at_2048_and_strength_follows_prompt() -> None:
    img, reference = load("coffee.jpg"), load("rocket.jpg")
    assert colour.remix(img, reference).size == (2048, 1365)
    target = lab_mean(reference)

    def distance(prompt: str | None) -> float:
        out = colour.remix(img, reference, prompt=prompt, long_side=300)
        return float(np.linalg.norm(lab_mean(out) - target))

    assert distance("strong") < distance(None) < distance("subtle")


def test_remix_is_deterministic_and_variations_differ() -> None:
    img, reference = load("chelsea.jpg"), load("coffee.jpg")
    a = colour.remix(img, reference, long_side=200)
    assert a.tobytes() == colour.remix(img, reference, long_side=200).tobytes()
    b = colour.remix(img, reference, variation=2, long_side=200)
    assert np.abs(arr(a) - arr(b)).mean() > 1.0
