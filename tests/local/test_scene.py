"""Tests for phota_widgets.local.scene: the deterministic generate drawing."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from phota_widgets.local import engine, scene

DATA = Path(__file__).resolve().parent.parent / "data"
SMALL = (240, 180)


def arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.float64)


def red_share(img: Image.Image) -> float:
    a = arr(img)
    return float(a[..., 0].sum() / (a.sum() + 1e-9))


def test_same_prompt_and_variation_give_identical_pixels() -> None:
    a = scene.generate("a red car on a beach at sunset", SMALL, variation=2)
    b = scene.generate("a red car on a beach at sunset", SMALL, variation=2)
    assert a.tobytes() == b.tobytes()


def test_variations_differ_visibly() -> None:
    images = [scene.generate("a cat in the city at night", SMALL, variation=i) for i in range(4)]
    for i in range(4):
        for j in range(i + 1, 4):
            assert np.abs(arr(images[i]) - arr(images[j])).mean() > 2.0


def test_different_prompts_differ() -> None:
    a = scene.generate("mountains", SMALL)
    b = scene.generate("a forest", SMALL)
    assert np.abs(arr(a) - arr(b)).mean() > 10


@pytest.mark.parametrize("size", [(1, 1), (7, 300), (1024, 1024), (1365, 1024), (576, 1024)])
def test_size_is_exact(size: tuple[int, int]) -> None:
    img = scene.generate("a dog in a field", size)
    assert img.size == size and img.mode == "RGB"


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="size"):
        scene.generate("x", (0, 10))


def test_sunset_is_brighter_than_night() -> None:
    sunset = scene.generate("the sea at sunset", SMALL)
    night = scene.generate("the sea at night", SMALL)
    assert arr(sunset).mean() > arr(night).mean() + 40


def test_named_colour_raises_its_share() -> None:
    for prompt in ("a car in the city", "a cat", "a studio portrait"):
        plain = scene.generate(prompt, SMALL)
        red = scene.generate(prompt.replace("a ", "a red ", 1), SMALL)
        assert red_share(red) > red_share(plain) + 0.04, prompt


def test_every_setting_and_subject_draws() -> None:
    settings = ["beach", "mountains", "city", "forest", "desert", "snow", "studio", "meadow"]
    subjects = ["person", "cat", "dog", "car", "house", "tree", "boat", "bird", "flower"]
    for setting, subject in zip(settings, subjects, strict=False):
        img = scene.generate(f"a {subject} at the {setting}", SMALL)
        assert arr(img).std() > 10  # something was drawn, not a flat fill
    assert scene.generate("a flower", SMALL).tobytes() != scene.generate("a tree", SMALL).tobytes()


def test_describe_lists_the_words_used() -> None:
    assert scene.describe("a RED cat on the beach at sunset, [[p1]] smiling") == [
        "time: sunset",
        "setting: beach",
        "subject: cat",
        "colour: red",
    ]
    assert scene.describe("something else entirely") == []
    assert scene.describe("golden hour in blue and green mountains") == [
        "time: sunset",
        "setting: mountains",
        "colour: blue",
        "colour: green",
    ]


def test_portraits_appear_in_their_slots() -> None:
    colours = [(230, 30, 200), (20, 220, 230)]
    portraits = [Image.new("RGB", (50, 60), c) for c in colours]
    size = (480, 320)
    img = scene.generate("[[a]] and [[b]] at the beach", size, portraits=portraits)
    for slot, colour in enumerate(colours):
        left, top, right, bottom = engine.portrait_box(size, slot, len(colours))
        middle = arr(img)[top + (bottom - top) // 3 : bottom - (bottom - top) // 3,
                          left + (right - left) // 3 : right - (right - left) // 3]  # fmt: skip
        assert np.abs(middle.reshape(-1, 3).mean(axis=0) - colour).max() < 8
    plain = scene.generate("[[a]] and [[b]] at the beach", size)
    assert np.abs(arr(plain)[150:170, 100:120] - colours[0]).mean() > 60


def test_portraits_are_placed_at_large_sizes_too() -> None:
    img = scene.generate(
        "a studio headshot", (1024, 1536), portraits=[Image.open(DATA / "astronaut.jpg")]
    )
    left, top, right, bottom = engine.portrait_box((1024, 1536), 0, 1)
    assert img.size == (1024, 1536)
    face = arr(img)[top + 40 : bottom - 40, left + 40 : right - 40]
    assert face.std() > 30  # the photo's detail, not a flat backdrop


def test_generate_is_fast_at_1024() -> None:
    scene.generate("warm-up", (64, 64))
    start = time.process_time()  # CPU spent, not wall time: a busy machine must not fail it
    scene.generate("a red car in the city at night", (1024, 1024), variation=1)
    assert time.process_time() - start < 0.3


LIGHTHOUSE = "a red lighthouse on a rocky coast at sunset"


def test_notes_say_the_words_drawn_and_the_words_not_understood() -> None:
    assert scene.notes(LIGHTHOUSE) == [
        "scene: time: sunset, setting: beach, subject: lighthouse, colour: red",
        "drew: red, lighthouse, coast, sunset",
        'not understood: "rocky"',
    ]
    assert scene.notes("a photo of the sea") == ["scene: setting: beach", "drew: sea"]
    assert scene.notes("zebra crossing") == [
        "scene: default",
        'not understood: "zebra", "crossing"',
    ]


def test_common_nouns_are_drawn_each_in_its_own_way() -> None:
    nouns = ["lighthouse", "castle", "skyscraper", "windmill", "horse", "fish", "bicycle",
             "bus", "plane", "rocket", "cactus", "palm", "cow", "church", "train"]  # fmt: skip
    bare = scene.generate("a field", SMALL)
    drawn = {}
    for noun in nouns:
        img = scene.generate(f"a {noun} in a field", SMALL)
        assert np.abs(arr(img) - arr(bare)).mean() > 1.0, noun  # something was added
        assert "subject: " in scene.describe(f"a {noun}")[0], noun
        drawn[noun] = img.tobytes()
    kinds = {"cow": "horse", "church": "castle", "train": "bus"}  # words for the same shape
    distinct = {noun: data for noun, data in drawn.items() if noun not in kinds}
    assert len(set(distinct.values())) == len(distinct)


def test_the_outputs_of_one_request_are_framed_differently() -> None:
    images = [scene.generate(LIGHTHOUSE, SMALL, variation=i) for i in range(4)]
    for i in range(4):
        for j in range(i + 1, 4):
            assert np.abs(arr(images[i]) - arr(images[j])).mean() > 4.0, (i, j)


def test_several_subjects_are_drawn_side_by_side() -> None:
    one = scene.generate("a car at the beach", SMALL)
    three = scene.generate("a car and a boat and a dog at the beach", SMALL)
    assert scene.describe("a car and a boat and a dog")[:3] == [
        "subject: car",
        "subject: boat",
        "subject: dog",
    ]
    assert np.abs(arr(one) - arr(three)).mean() > 2.0
