"""Bad images give clear errors; location leaves no photo; unchanged photos are not decoded."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import phota_widgets as pw
from phota_widgets.api.images import prepare_bytes, to_wire

GPS = 0x8825


def jpeg_with_gps(orientation: int = 1, size: tuple[int, int] = (64, 48)) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(GPS)
    gps[1], gps[2], gps[3], gps[4] = "N", (51.0, 30.0, 12.5), "W", (0.0, 7.0, 39.0)
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


def scan(data: bytes) -> bytes:
    """The compressed image data (from start-of-scan on)."""
    return data[data.index(b"\xff\xda") :]


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((0, 0, 3), dtype=np.uint8),
        np.zeros((0,), dtype=np.uint8),
        np.array([["a", "b"], ["c", "d"]]),
        np.full((4, 4), np.nan),
        Image.new("RGB", (0, 0)),
        "photo\x00.jpg",
    ],
    ids=["empty-array", "zero-size", "string-dtype", "nan", "0x0-pil", "nul-path"],
)
def test_bad_images_are_refused_clearly_before_anything_is_sent(bad: object) -> None:
    with pytest.raises(pw.InvalidRequestError, match="image"):
        to_wire(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["La", "PA", "LA", "I;16", "CMYK"])
def test_unusual_pil_modes_are_sent(mode: str) -> None:
    img = Image.new(mode, (8, 6))
    sent = Image.open(io.BytesIO(to_wire(img).data or b""))
    assert sent.size == (8, 6)


def test_gps_is_removed_losslessly_and_other_metadata_kept() -> None:
    original = jpeg_with_gps()
    sent = prepare_bytes(original)
    exif = Image.open(io.BytesIO(sent)).getexif()
    assert GPS not in exif and exif[0x010F] == "PhoneMaker"
    assert scan(sent) == scan(original)  # the pixels' bytes are untouched
    assert prepare_bytes(original, strip_location=False) == original  # the opt-out


def test_a_rotated_photo_with_gps_is_upright_and_without_gps() -> None:
    sent = prepare_bytes(jpeg_with_gps(orientation=6, size=(64, 48)))
    img = Image.open(io.BytesIO(sent))
    assert img.size == (48, 64) and GPS not in img.getexif()


def test_the_run_store_keeps_no_location(server: object, tmp_path: Path) -> None:
    from phota_widgets.local import LocalServer

    assert isinstance(server, LocalServer)
    photo = tmp_path / "gps.jpg"
    photo.write_bytes(jpeg_with_gps())
    with pw.Session(api_key=server.api_key, base_url=server.base_url, output_dir=tmp_path) as s:
        s.enhance(photo)
        (stored,) = [p for p in (tmp_path / "inputs").rglob("*") if p.is_file()]
        assert GPS not in Image.open(stored).getexif()


def test_an_unchanged_photo_is_not_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    data = jpeg_with_gps()
    data_plain = prepare_bytes(data)

    def no_decoding(self: Image.Image) -> None:
        raise AssertionError("decoded pixels that needed no change")

    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_decoding)
    assert prepare_bytes(data_plain) == data_plain


def test_a_too_large_jpeg_is_decoded_at_reduced_scale() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (8200, 120), "blue").save(buf, "JPEG")
    sent = Image.open(io.BytesIO(prepare_bytes(buf.getvalue())))
    assert max(sent.size) <= 4096 and sent.size[0] > 4000
