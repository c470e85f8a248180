"""Tests for phota_widgets.local.engine: decoding, sizing, enhance, remix, encoding."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from phota_widgets.local import engine
from phota_widgets.local.engine import ImageInputError

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


def jpeg_bytes(img: Image.Image, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, **kwargs)
    return buf.getvalue()


# ------------------------------------------------------------------------------ sizing


@pytest.mark.parametrize("ratio", sorted(engine.ASPECT_RATIOS))
@pytest.mark.parametrize("resolution", sorted(engine.RESOLUTION_LONG_SIDE))
def test_output_size_every_ratio_and_resolution(ratio: str, resolution: str) -> None:
    w, h = engine.output_size(ratio, resolution, None)
    aw, ah = engine.ASPECT_RATIOS[ratio]
    assert max(w, h) == engine.RESOLUTION_LONG_SIDE[resolution]
    assert abs(w * ah - h * aw) <= max(aw, ah)  # exact up to rounding of one side
    assert (w >= h) == (aw >= ah)


def test_output_size_auto_follows_source_or_is_square() -> None:
    assert engine.output_size("auto", "1K", (600, 400)) == (1024, 683)
    assert engine.output_size("auto", "2K", (300, 1200)) == (512, 2048)
    assert engine.output_size("auto", "4K", None) == (4096, 4096)
    assert engine.output_size("auto", "1K", (5000, 1)) == (1024, 1)  # never 0


def test_output_size_rejects_unknown_values() -> None:
    with pytest.raises(ValueError, match="resolution"):
        engine.output_size("1:1", "8K", None)
    with pytest.raises(ValueError, match="aspect"):
        engine.output_size("2:1", "1K", None)


@pytest.mark.parametrize("size", [(100, 100), (160, 90), (90, 160), (1000, 700), (7, 300)])
def test_fit_gives_exact_size_and_crops_centre(size: tuple[int, int]) -> None:
    src = Image.new("RGB", (400, 300), (0, 0, 255))
    src.paste((255, 0, 0), (150, 100, 250, 200))  # a red centre
    out = engine.fit(src, size)
    assert out.size == size
    r, _, b = out.getpixel((size[0] // 2, size[1] // 2))  # type: ignore[misc]
    assert r > 200 and b < 60


def test_scale_to_long_side_keeps_aspect() -> None:
    img = load("chelsea.jpg")
    assert engine.scale_to_long_side(img, 902).size == (902, 600)
    assert engine.scale_to_long_side(img, 2000, upscale=False) is img


# ---------------------------------------------------------------------------- decoding


def test_decode_reads_jpeg_as_rgb() -> None:
    img = engine.decode_image((DATA / "coffee.jpg").read_bytes())
    assert img.mode == "RGB" and img.size == (600, 400)


@pytest.mark.parametrize("data", [b"", b"hello, not an image", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_decode_rejects_garbage(data: bytes) -> None:
    with pytest.raises(ImageInputError):
        engine.decode_image(data)


def test_decode_rejects_truncated_jpeg() -> None:
    data = (DATA / "rocket.jpg").read_bytes()
    with pytest.raises(ImageInputError, match="corrupt or truncated"):
        engine.decode_image(data[: len(data) // 2])


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims a huge size."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decode_rejects_decompression_bomb() -> None:
    with pytest.raises(ImageInputError, match="too large"):
        engine.decode_image(_png_claiming(100_000, 100_000))


def test_decode_rejects_over_max_input_pixels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "MAX_INPUT_PIXELS", 100_000)
    data = (DATA / "astronaut.jpg").read_bytes()  # 512 x 512 = 262144 pixels
    with pytest.raises(ImageInputError, match="262144 pixels"):
        engine.decode_image(data)


def test_decode_applies_exif_orientation() -> None:
    img = Image.new("RGB", (40, 20), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees clockwise
    decoded = engine.decode_image(jpeg_bytes(img, exif=exif))
    assert decoded.size == (20, 40)
    plain = engine.decode_image(jpeg_bytes(img))
    assert plain.size == (40, 20)


def test_decode_flattens_transparency_onto_white() -> None:
    img = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    out = engine.decode_image(buf.getvalue())
    assert out.mode == "RGB" and out.getpixel((4, 4)) == (255, 255, 255)


def test_decode_with_max_side_decodes_large_jpeg_smaller() -> None:
    data = jpeg_bytes(load("rocket.jpg").resize((1600, 1068)))
    full = engine.decode_image(data)
    small = engine.decode_image(data, max_side=400)
    assert full.size == (1600, 1068)
    assert 380 <= max(small.size) <= 800


# ---------------------------------------------------------------------------- encoding


def test_encode_png_and_jpg_magic_bytes() -> None:
    img = Image.new("RGB", (16, 16), (10, 20, 30))
    assert engine.encode(img, "png").startswith(b"\x89PNG\r\n\x1a\n")
    assert engine.encode(img, "jpg").startswith(b"\xff\xd8\xff")
    assert engine.encode(img.convert("RGBA"), "jpg").startswith(b"\xff\xd8\xff")
    with pytest.raises(ValueError, match="output format"):
        engine.encode(img, "gif")


# ----------------------------------------------------------------------------- enhance


def test_estimate_noise_measures_added_noise() -> None:
    rng = np.random.default_rng(1)
    flat = np.full((200, 200, 3), 120.0) + rng.normal(0, 5, (200, 200, 3))
    noisy = Image.fromarray(np.clip(flat, 0, 255).astype(np.uint8))
    assert 4.0 < engine.estimate_noise(noisy, per_channel=True) < 6.0
    assert engine.estimate_noise(load("astronaut.jpg")) < 1.5


@pytest.mark.parametrize("name", ["astronaut.jpg", "coffee.jpg"])
def test_enhance_repairs_a_degraded_photo(name: str) -> None:
    good = load(name)
    bad = degrade(good)
    out = engine.enhance(bad, long_side=max(bad.size))
    assert out.size == bad.size
    assert lum_std(out) > 2.0 * lum_std(bad)  # contrast restored
    assert sharpness(out) > 2.0 * sharpness(bad)  # edges sharpened
    assert abs(arr(out).mean() - 118) < abs(arr(bad).mean() - 118)  # exposure toward mid-grey


def test_enhance_changes_a_good_photo_less_than_a_bad_one() -> None:
    good = load("astronaut.jpg")
    bad = degrade(good)
    change_good = mean_abs_diff(good, engine.enhance(good, long_side=512))
    change_bad = mean_abs_diff(bad, engine.enhance(bad, long_side=512))
    assert change_good < 8
    assert change_good < 0.3 * change_bad


def test_enhance_reduces_noise() -> None:
    img = load("coffee.jpg")
    noisy_arr = arr(img) + np.random.default_rng(3).normal(0, 10, arr(img).shape)
    noisy = Image.fromarray(np.clip(noisy_arr, 0, 255).astype(np.uint8))
    out = engine.enhance(noisy, long_side=600)
    assert engine.estimate_noise(out) < 0.7 * engine.estimate_noise(noisy)


def test_enhance_output_is_2048_long_side_keeping_aspect() -> None:
    out = engine.enhance(load("chelsea.jpg"))
    assert out.size == (2048, 1362)
    assert engine.enhance(load("chelsea.jpg").rotate(90, expand=True)).size == (1362, 2048)


def test_enhance_is_deterministic_and_variations_differ_mildly() -> None:
    img = load("coffee.jpg")
    first = engine.enhance(img, long_side=300)
    assert first.tobytes() == engine.enhance(img, long_side=300).tobytes()
    other = engine.enhance(img, variation=1, long_side=300)
    assert other.tobytes() == engine.enhance(img, variation=1, long_side=300).tobytes()
    assert 1.0 < mean_abs_diff(first, other) < 20.0


def test_enhance_prompt_steers_the_result() -> None:
    img = load("astronaut.jpg")
    plain = arr(engine.enhance(img, long_side=256))
    warm = arr(engine.enhance(img, prompt="warm", long_side=256))
    bright = arr(engine.enhance(img, prompt="brighter please", long_side=256))
    vivid = engine.enhance(img, prompt="more vivid", long_side=256)
    muted = engine.enhance(img, prompt="less vivid", long_side=256)

    def chroma(a: Image.Image) -> float:
        x = arr(a)
        return float((x.max(axis=2) - x.min(axis=2)).mean())

    assert (warm[..., 0] - warm[..., 2]).mean() > (plain[..., 0] - plain[..., 2]).mean() + 5
    assert bright.mean() > plain.mean() + 5
    assert chroma(vivid) > chroma(muted) + 10


def test_enhance_subtle_changes_less_than_strong() -> None:
    bad = degrade(load("coffee.jpg"))
    subtle = mean_abs_diff(bad, engine.enhance(bad, prompt="subtle", long_side=600))
    strong = mean_abs_diff(bad, engine.enhance(bad, prompt="strong", long_side=600))
    assert subtle < strong


# ------------------------------------------------------------------------------- remix


def lab_mean(img: Image.Image) -> np.ndarray:
    lab = engine.rgb_to_lab(arr(img) / 255.0).reshape(-1, 3)
    return np.asarray(lab.mean(axis=0))


def test_lab_round_trip() -> None:
    rgb = np.random.default_rng(0).uniform(0, 1, (500, 3))
    assert np.abs(engine.lab_to_rgb(engine.rgb_to_lab(rgb)) - rgb).max() < 1e-6
    assert np.allclose(engine.rgb_to_lab(np.array([1.0, 1.0, 1.0])), [100, 0, 0], atol=0.01)


@pytest.mark.parametrize(
    ("src", "ref"), [("chelsea.jpg", "rocket.jpg"), ("rocket.jpg", "coffee.jpg")]
)
def test_remix_moves_colour_toward_reference_and_keeps_content(src: str, ref: str) -> None:
    img, reference = load(src), load(ref)
    out = engine.remix(img, reference, long_side=max(img.size))
    assert out.size == img.size
    before = np.linalg.norm(lab_mean(img) - lab_mean(reference))
    after = np.linalg.norm(lab_mean(out) - lab_mean(reference))
    assert before > 20
    assert after < 0.4 * before
    corr = np.corrcoef(arr(img.convert("L")).ravel(), arr(out.convert("L")).ravel())[0, 1]
    assert corr > 0.85


def test_remix_keeps_aspect_at_2048_and_strength_follows_prompt() -> None:
    img, reference = load("coffee.jpg"), load("rocket.jpg")
    assert engine.remix(img, reference).size == (2048, 1365)
    target = lab_mean(reference)

    def distance(prompt: str | None) -> float:
        out = engine.remix(img, reference, prompt=prompt, long_side=300)
        return float(np.linalg.norm(lab_mean(out) - target))

    assert distance("strong") < distance(None) < distance("subtle")


def test_remix_is_deterministic_and_variations_differ() -> None:
    img, reference = load("chelsea.jpg"), load("coffee.jpg")
    a = engine.remix(img, reference, long_side=200)
    assert a.tobytes() == engine.remix(img, reference, long_side=200).tobytes()
    b = engine.remix(img, reference, variation=2, long_side=200)
    assert mean_abs_diff(a, b) > 1.0


# --------------------------------------------------------------------------- portraits


def test_paste_portrait_places_picture_in_its_slot() -> None:
    canvas = Image.new("RGB", (600, 400), (20, 120, 20))
    portrait = Image.new("RGB", (64, 80), (230, 40, 200))
    for slots in (1, 3):
        for slot in range(slots):
            out = engine.paste_portrait(canvas, portrait, slot, slots)
            left, top, right, bottom = engine.portrait_box(canvas.size, slot, slots)
            assert 0 <= left < right <= 600 and 0 <= top < bottom <= 400
            centre = arr(out)[(top + bottom) // 2, (left + right) // 2]
            assert np.abs(centre - (230, 40, 200)).max() <= 3
            assert out.getpixel((2, 2)) == (20, 120, 20)
    assert canvas.getpixel((300, 224)) == (20, 120, 20)  # the input is not modified
    with pytest.raises(ValueError, match="slot"):
        engine.paste_portrait(canvas, portrait, 2, 2)
