"""Tests for phota_widgets.local.instructions (prompt parsing) and .operations (applying them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from phota_widgets.local.instructions import Instructions, Operation, parse
from phota_widgets.local.operations import apply

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    img = Image.open(DATA / "coffee.jpg").convert("RGB")
    return img.resize((300, 200), Image.Resampling.BICUBIC)


def arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.float64)


def names(prompt: str) -> list[str]:
    return [op.name for op in parse(prompt).operations]


def edit(img: Image.Image, prompt: str, variation: int = 0) -> Image.Image:
    return apply(img, parse(prompt), variation=variation)


# ------------------------------------------------------------------------------- parse


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("make it brighter", ["brightness"]),
        ("Darker, please", ["brightness"]),
        ("warmer and more contrast", ["warmth", "contrast"]),
        ("cooler; less contrast", ["warmth", "contrast"]),
        ("more saturated then b&w", ["saturation", "grayscale"]),
        ("make it black and white", ["grayscale"]),
        ("monochrome", ["grayscale"]),
        ("vintage look with a vignette", ["sepia", "vignette"]),
        ("blur the background. sharpen", ["blur", "sharpen"]),
        ("rotate left", ["rotate"]),
        ("flip it", ["flip"]),
        ("mirror", ["mirror"]),
        ("crop to 16:9", ["crop"]),
        ("make it square", ["crop"]),
        ("extend to 9:16", ["extend"]),
        ("invert the colours and posterize", ["invert", "posterize"]),
        ("remove noise", ["denoise"]),
        ("more vivid", ["saturation"]),
        ("muted colours", ["saturation"]),
    ],
)
def test_parse_recognises_operations(prompt: str, expected: list[str]) -> None:
    result = parse(prompt)
    assert [op.name for op in result.operations] == expected
    assert result.notes == ()


def test_parse_signs_and_modifiers() -> None:
    (brighter,) = parse("brighter").operations
    (darker,) = parse("darker").operations
    (much,) = parse("much brighter").operations
    (bit,) = parse("a bit brighter").operations
    assert darker.amount < 0 < bit.amount < brighter.amount < much.amount
    (less,) = parse("less saturated").operations
    (more,) = parse("more saturated").operations
    assert less.amount < 0 < more.amount
    (pct,) = parse("brightness -20%").operations
    assert pct.amount == pytest.approx(-0.2)


def test_parse_rotation_directions() -> None:
    assert parse("rotate 90").operations == (Operation("rotate", 90.0),)
    assert parse("rotate left").operations == (Operation("rotate", -90.0),)
    assert parse("rotate right").operations == (Operation("rotate", 90.0),)
    assert parse("rotate 45 degrees counterclockwise").operations == (Operation("rotate", -45.0),)
    assert parse("upside down").operations == (Operation("rotate", 180.0),)


def test_parse_ratios() -> None:
    assert parse("crop to 16:9").operations == (Operation("crop", 1.0, "16:9"),)
    assert parse("make it square").operations == (Operation("crop", 1.0, "1:1"),)
    assert parse("extend to 9:16").operations == (Operation("extend", 1.0, "9:16"),)


def test_unknown_clause_gives_a_note_and_no_operation() -> None:
    result = parse("add a hat")
    assert result.operations == ()
    assert result.notes == ('not understood: "add a hat"',)
    mixed = parse("brighter, add a hat and a rainbow")
    assert [op.name for op in mixed.operations] == ["brightness"]
    assert mixed.notes == ('not understood: "add a hat"', 'not understood: "a rainbow"')


def test_profile_tokens_are_stripped() -> None:
    assert parse("[[p1]]") == Instructions((), ())
    result = parse("make [[p1]] brighter")
    assert names("make [[p1]] brighter") == ["brightness"]
    assert result.notes == ()
    assert all("[[" not in note for note in parse("[[p1]] wearing a crown").notes)


def test_empty_and_filler_prompts_give_nothing() -> None:
    assert parse("") == Instructions((), ())
    assert parse("   ") == Instructions((), ())
    assert parse("please, thanks") == Instructions((), ())


def test_a_word_that_only_looks_like_an_operation_is_not_one() -> None:
    assert names("turn it into a painting") == []
    assert names("add film grain") == []


# ------------------------------------------------------------------------------- apply


def test_black_and_white_gives_grey_pixels(photo: Image.Image) -> None:
    out = arr(edit(photo, "black and white"))
    assert np.abs(out[..., 0] - out[..., 1]).max() <= 1
    assert np.abs(out[..., 1] - out[..., 2]).max() <= 1
    assert out.std() > 20  # still a picture, not a flat grey


@pytest.mark.parametrize(("ratio", "expected"), [("16:9", 16 / 9), ("1:1", 1.0), ("9:16", 9 / 16)])
def test_crop_gives_the_ratio(photo: Image.Image, ratio: str, expected: float) -> None:
    out = edit(photo, f"crop to {ratio}")
    w, h = out.size
    assert abs(w - h * expected) <= 1
    assert w <= photo.width and h <= photo.height


def test_extend_gives_the_ratio_and_keeps_the_photo(photo: Image.Image) -> None:
    out = edit(photo, "extend to 9:16")
    w, h = out.size
    assert w == photo.width and abs(w - h * 9 / 16) <= 1
    top = (h - photo.height) // 2
    middle = arr(out)[top : top + photo.height]
    assert np.abs(middle - arr(photo)).max() <= 1


def test_brighter_and_darker_move_mean_luminance(photo: Image.Image) -> None:
    base = arr(photo.convert("L")).mean()
    assert arr(edit(photo, "brighter").convert("L")).mean() > base + 8
    assert arr(edit(photo, "darker").convert("L")).mean() < base - 8
    assert (
        arr(edit(photo, "much brighter").convert("L")).mean()
        > arr(edit(photo, "brighter").convert("L")).mean()
    )


def test_warmer_raises_red_minus_blue(photo: Image.Image) -> None:
    def r_minus_b(img: Image.Image) -> float:
        a = arr(img)
        return float((a[..., 0] - a[..., 2]).mean())

    assert r_minus_b(edit(photo, "warmer")) > r_minus_b(photo) + 5
    assert r_minus_b(edit(photo, "cooler")) < r_minus_b(photo) - 5


def test_rotate_90_swaps_dimensions_and_turns_clockwise(photo: Image.Image) -> None:
    marked = photo.copy()
    marked.paste((255, 0, 0), (0, 0, 10, 10))  # top-left corner
    out = edit(marked, "rotate 90")
    assert out.size == (photo.height, photo.width)
    assert out.getpixel((out.width - 3, 3)) == (255, 0, 0)  # now top-right
    assert edit(photo, "rotate 30").size == photo.size


def test_flip_and_mirror(photo: Image.Image) -> None:
    a = arr(photo)
    assert np.array_equal(arr(edit(photo, "flip")), a[::-1])
    assert np.array_equal(arr(edit(photo, "mirror")), a[:, ::-1])


def test_contrast_saturation_blur_and_invert(photo: Image.Image) -> None:
    lum_std = arr(photo.convert("L")).std()
    assert arr(edit(photo, "more contrast").convert("L")).std() > lum_std * 1.1
    assert arr(edit(photo, "less contrast").convert("L")).std() < lum_std * 0.9

    def chroma(img: Image.Image) -> float:
        a = arr(img)
        return float((a.max(axis=2) - a.min(axis=2)).mean())

    assert chroma(edit(photo, "more saturated")) > chroma(photo) * 1.1
    assert chroma(edit(photo, "muted")) < chroma(photo) * 0.9
    edges = arr(photo.convert("L"))
    blurred = arr(edit(photo, "blur").convert("L"))
    assert np.abs(np.diff(blurred, axis=1)).mean() < 0.7 * np.abs(np.diff(edges, axis=1)).mean()
    assert np.array_equal(arr(edit(photo, "invert")), 255 - arr(photo))


def test_vignette_darkens_corners_more_than_centre(photo: Image.Image) -> None:
    before, after = arr(photo.convert("L")), arr(edit(photo, "vignette").convert("L"))
    ratio = (after + 1) / (before + 1)
    assert ratio[:10, :10].mean() < 0.8 and ratio[95:105, 145:155].mean() > 0.97


def test_apply_runs_in_order_and_variation_jitters(photo: Image.Image) -> None:
    out = edit(photo, "b&w, then warmer")
    a = arr(out)
    assert (a[..., 0] - a[..., 2]).mean() > 5  # warmth applied after the grey conversion
    v0, v1 = edit(photo, "brighter", 0), edit(photo, "brighter", 1)
    assert v0.tobytes() == edit(photo, "brighter", 0).tobytes()
    assert v1.tobytes() == edit(photo, "brighter", 1).tobytes()
    assert 0.2 < np.abs(arr(v0) - arr(v1)).mean() < 8


def test_every_parsed_operation_applies(photo: Image.Image) -> None:
    prompt = (
        "brighter, contrast, vivid, warmer, sepia, blur, sharpen, vignette, rotate 45, "
        "flip, mirror, crop to 4:3, zoom in, extend to 1:1, zoom out, posterize, denoise, "
        "invert, grayscale"
    )
    result = parse(prompt)
    assert result.notes == ()
    assert len(result.operations) == 19
    out = apply(photo, result, variation=3)
    assert out.mode == "RGB" and out.width == out.height


def test_unknown_operation_name_is_an_error(photo: Image.Image) -> None:
    with pytest.raises(ValueError, match="unknown operation"):
        apply(photo, Instructions((Operation("teleport"),), ()))


def test_tone_operations_folded_into_one_lut_match_applying_them_in_turn() -> None:
    from PIL import Image as PILImage

    from phota_widgets.local.instructions import parse
    from phota_widgets.local.operations import _HANDLERS, apply

    photo = PILImage.open(Path(__file__).parent.parent / "data" / "coffee.jpg").convert("RGB")
    parsed = parse("make it warmer, brighter and add more contrast")
    names = [op.name for op in parsed.operations]
    assert {"warmth", "brightness", "contrast"} <= set(names)
    expected = photo
    for op in parsed.operations:
        expected = _HANDLERS[op.name](expected, op.amount, op.arg)
    folded = apply(photo, parsed)
    diff = PILImage.fromarray(
        abs(np.asarray(folded, dtype=np.int16) - np.asarray(expected, dtype=np.int16)).astype(
            np.uint8
        )
    )
    assert max(hi for _lo, hi in diff.getextrema()) <= 2
