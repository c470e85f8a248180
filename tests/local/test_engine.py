"""Tests for phota_widgets.local.engine: decoding, sizing, encoding, portraits."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from phota_widgets.local import engine
from phota_widgets.local.engine import ImageInputError

DATA = Path(__file__).resolve().parent.parent / "data"


def load(name: str) -> Image.Image:
    return Image.open(DATA / name).convert("RGB")


def arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.float64)


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
