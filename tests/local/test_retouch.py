"""Tests for phota_widgets.local.retouch: noise estimation and enhance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from phota_widgets.local import retouch

DATA = Path(__file__).resolve().parent.parent / "data"


def load(name: str) -> Image.Image:
    return Image.open(DATA / name).convert("RGB")


def arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.float64)


def lum_std(img: Image.Image) -> float:
    return float(arr(img.convert("L")).std())


def sharpness(img: Image.Image) -> float:
    """Variance of a Laplacian at half size (half size keeps pixel noise from dominating)."""
    a = arr(img.convert("L").reduce(2))
    lap = a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:] - 4 * a[1:-1, 1:-1]
    return float(lap.var())


def degrade(img: Image.Image, seed: int = 0) -> Image.Image:
    """Blurred, darkened, low in contrast, with noise added."""
    a = arr(img.filter(ImageFilter.GaussianBlur(2))) * 0.35 + 40
    a += np.random.default_rng(seed).normal(0, 7, a.shape)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(arr(a) - arr(b.resize(a.size, Image.Resampling.BICUBIC))).mean())


def test_estimate_noise_measures_added_noise() -> None:
    rng = np.random.default_rng(1)
    flat = np.full((200, 200, 3), 120.0) + rng.normal(0, 5, (200, 200, 3))
    noisy = Image.fromarray(np.clip(flat, 0, 255).astype(np.uint8))
    assert 4.0 < retouch.estimate_noise(noisy, per_channel=True) < 6.0
    assert retouch.estimate_noise(load("astronaut.jpg")) < 1.5


@pytest.mark.parametrize("name", ["astronaut.jpg", "coffee.jpg"])
def test_enhance_repairs_a_degraded_photo(name: str) -> None:
    good = load(name)
    bad = degrade(good)
    out = retouch.enhance(bad, long_side=max(bad.size))
    assert out.size == bad.size
    assert lum_std(out) > 2.0 * lum_std(bad)  # contrast restored
    assert sharpness(out) > 2.0 * sharpness(bad)  # edges sharpened
    assert abs(arr(out).mean() - 118) < abs(arr(bad).mean() - 118)  # exposure toward mid-grey


def test_enhance_changes_a_good_photo_less_than_a_bad_one() -> None:
    good = load("astronaut.jpg")
    bad = degrade(good)
    change_good = mean_abs_diff(good, retouch.enhance(good, long_side=512))
    change_bad = mean_abs_diff(bad, retouch.enhance(bad, long_side=512))
    assert change_good < 8
    assert change_good < 0.3 * change_bad


def test_enhance_reduces_noise() -> None:
    img = load("coffee.jpg")
    noisy_arr = arr(img) + np.random.default_rng(3).normal(0, 10, arr(img).shape)
    noisy = Image.fromarray(np.clip(noisy_arr, 0, 255).astype(np.uint8))
    out = retouch.enhance(noisy, long_side=600)
    assert retouch.estimate_noise(out) < 0.7 * retouch.estimate_noise(noisy)


def test_enhance_output_is_2048_long_side_keeping_aspect() -> None:
    out = retouch.enhance(load("chelsea.jpg"))
    assert out.size == (2048, 1362)
    assert retouch.enhance(load("chelsea.jpg").rotate(90, expand=True)).size == (1362, 2048)


def test_enhance_is_deterministic_and_variations_differ_mildly() -> None:
    img = load("coffee.jpg")
    first = retouch.enhance(img, long_side=300)
    assert first.tobytes() == retouch.enhance(img, long_side=300).tobytes()
    other = retouch.enhance(img, variation=1, long_side=300)
    assert other.tobytes() == retouch.enhance(img, variation=1, long_side=300).tobytes()
    assert 1.0 < mean_abs_diff(first, other) < 20.0


def test_enhance_prompt_steers_the_result() -> None:
    img = load("astronaut.jpg")
    plain = arr(retouch.enhance(img, long_side=256))
    warm = arr(retouch.enhance(img, prompt="warm", long_side=256))
    bright = arr(retouch.enhance(img, prompt="brighter please", long_side=256))
    vivid = retouch.enhance(img, prompt="more vivid", long_side=256)
    muted = retouch.enhance(img, prompt="less vivid", long_side=256)

    def chroma(a: Image.Image) -> float:
        x = arr(a)
        return float((x.max(axis=2) - x.min(axis=2)).mean())

    assert (warm[..., 0] - warm[..., 2]).mean() > (plain[..., 0] - plain[..., 2]).mean() + 5
    assert bright.mean() > plain.mean() + 5
    assert chroma(vivid) > chroma(muted) + 10


def test_enhance_subtle_changes_less_than_strong() -> None:
    bad = degrade(load("coffee.jpg"))
    subtle = mean_abs_diff(bad, retouch.enhance(bad, prompt="subtle", long_side=600))
    strong = mean_abs_diff(bad, retouch.enhance(bad, prompt="strong", long_side=600))
    assert subtle < strong


def test_steer_reads_negation_and_intensifiers() -> None:
    assert retouch.steer(None)["strength"] == 1.0
    assert retouch.steer("warm")["warmth"] > 0 > retouch.steer("not warm")["warmth"]
    assert retouch.steer("very vivid")["saturation"] > retouch.steer("vivid")["saturation"]
    assert retouch.steer("a grainy photo")["denoise"] == 0.5


def test_jitter_is_zero_for_variation_zero_and_deterministic() -> None:
    assert not retouch.jitter("enhance", 0, 4).any()
    first = retouch.jitter("enhance", 1, 4)
    assert np.array_equal(first, retouch.jitter("enhance", 1, 4))
    assert np.abs(first).max() <= 1.0
