"""Pillow image work shared by the embedded server: decoding, sizing, encoding, portraits.

Everything here is deterministic real image processing. Decoding can draft a large JPEG
at a reduced scale, resizing reduces by whole factors before resampling, and image
statistics are taken from small thumbnails (`thumbnail_array`), so the image steps built
on these helpers (`retouch.enhance`, `colour.remix`) stay fast on a 12-megapixel photo.
"""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFilter, ImageOps, UnidentifiedImageError

FloatArray = npt.NDArray[np.float64]


class ImageInputError(ValueError):
    """The input is not a usable image: not an image, corrupt, or too large."""


MAX_INPUT_PIXELS: int = 64_000_000
RESOLUTION_LONG_SIDE: dict[str, int] = {"1K": 1024, "2K": 2048, "4K": 4096}
ASPECT_RATIOS: dict[str, tuple[int, int]] = {
    "1:1": (1, 1),
    "3:4": (3, 4),
    "4:3": (4, 3),
    "9:16": (9, 16),
    "16:9": (16, 9),
}
_LANCZOS = Image.Resampling.LANCZOS
NEAR_SCALE = (0.9, 1.1)
"""Resizes by a factor in this range use BILINEAR: as sharp there, at a third of the cost."""


# --------------------------------------------------------------------------- decoding


def _register_heif() -> None:
    """Let Pillow read HEIC/HEIF when the optional pillow-heif is installed."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return
    register_heif_opener()


_register_heif()


def decode_image(data: bytes, *, max_side: int | None = None) -> Image.Image:
    """Decode image bytes into an upright RGB image.

    Args:
        data: The file's bytes (JPEG, PNG, WebP, GIF, BMP, TIFF, ...).
        max_side: If given, a JPEG may be decoded at a reduced scale whose long side
            stays at least ~95% of this (fast path for large photos).

    Raises:
        ImageInputError: Empty, not an image, corrupt/truncated, or over MAX_INPUT_PIXELS.
    """
    if not data:
        raise ImageInputError("empty input: no image bytes")
    try:
        probe = Image.open(io.BytesIO(data))
        _check_pixels(probe.size)
        probe.verify()
        img = Image.open(io.BytesIO(data))
        if max_side and img.format == "JPEG":
            img.draft("RGB", size_for_long_side(img.size, int(max_side * 0.95)))
        img.load()
        return _to_rgb(ImageOps.exif_transpose(img))
    except ImageInputError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageInputError(f"image too large (decompression bomb): {exc}") from exc
    except UnidentifiedImageError as exc:
        raise ImageInputError("not an image: the bytes are in no known image format") from exc
    except Exception as exc:  # any decoder failure on hostile input is a bad input
        raise ImageInputError(f"corrupt or truncated image: {exc}") from exc


def _check_pixels(size: tuple[int, int]) -> None:
    w, h = size
    if w < 1 or h < 1:
        raise ImageInputError(f"image has no pixels ({w}x{h})")
    if w * h > MAX_INPUT_PIXELS:
        raise ImageInputError(
            f"image too large: {w}x{h} = {w * h} pixels, the limit is {MAX_INPUT_PIXELS}"
        )


def _to_rgb(img: Image.Image) -> Image.Image:
    """Convert any mode to RGB, flattening transparency onto white."""
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = float(arr.max()) or 1.0
        scale = 255.0 / (65535.0 if top > 255 else 255.0)
        return Image.fromarray(np.clip(arr * scale, 0, 255).astype(np.uint8)).convert("RGB")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB") if img.mode != "RGB" else img


# ----------------------------------------------------------------------------- sizing


def output_size(
    aspect_ratio: str, resolution: str, source: tuple[int, int] | None
) -> tuple[int, int]:
    """Pixel size of an output image.

    Args:
        aspect_ratio: "auto" or a key of ASPECT_RATIOS.
        resolution: A key of RESOLUTION_LONG_SIDE; it fixes the long side.
        source: The input's size, used by "auto" (1:1 when None).
    """
    if resolution not in RESOLUTION_LONG_SIDE:
        raise ValueError(f"unknown resolution {resolution!r}")
    if aspect_ratio == "auto":
        ratio = source if source and source[0] > 0 and source[1] > 0 else (1, 1)
    elif aspect_ratio in ASPECT_RATIOS:
        ratio = ASPECT_RATIOS[aspect_ratio]
    else:
        raise ValueError(f"unknown aspect ratio {aspect_ratio!r}")
    return size_for_long_side(ratio, RESOLUTION_LONG_SIDE[resolution])


def size_for_long_side(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """`size` scaled keeping aspect so its long side is `long_side` (each side at least 1)."""
    w, h = size
    scale = long_side / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def resize_box(
    img: Image.Image, size: tuple[int, int], box: tuple[float, float, float, float] | None = None
) -> Image.Image:
    """Resize (a region of) an image to an exact size, fast: integer reduce() first."""
    x0, y0, x1, y1 = box or (0.0, 0.0, float(img.width), float(img.height))
    factor = int(min((x1 - x0) / size[0], (y1 - y0) / size[1]) + 0.1)
    if factor >= 2:
        ibox = (round(x0), round(y0), round(x1), round(y1))
        img = img.reduce(factor, box=ibox)
        x0, y0, x1, y1 = 0.0, 0.0, float(img.width), float(img.height)
    if img.size == size and (x0, y0, x1, y1) == (0, 0, img.width, img.height):
        return img.copy()
    scale = max(size[0] / max(x1 - x0, 1e-9), size[1] / max(y1 - y0, 1e-9))
    near = NEAR_SCALE[0] <= scale <= NEAR_SCALE[1]  # a few percent: nothing for LANCZOS to keep
    return img.resize(size, Image.Resampling.BILINEAR if near else _LANCZOS, box=(x0, y0, x1, y1))


def fit(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Centre-crop an image to the aspect of `size`, then resize to exactly `size`."""
    tw, th = size
    w, h = img.size
    if w * th > h * tw:
        cw = h * tw / th
        box = ((w - cw) / 2, 0.0, (w + cw) / 2, float(h))
    else:
        ch = w * th / tw
        box = (0.0, (h - ch) / 2, float(w), (h + ch) / 2)
    return resize_box(img, size, box)


def scale_to_long_side(img: Image.Image, long_side: int, *, upscale: bool = True) -> Image.Image:
    """Resize keeping aspect so the long side is `long_side` (optionally only downscale)."""
    if not upscale and max(img.size) <= long_side:
        return img
    return resize_box(img, size_for_long_side(img.size, long_side))


def thumbnail_array(img: Image.Image, long_side: int = 256) -> FloatArray:
    """A small copy of `img` (long side at most `long_side`) as floats in [0, 1], for statistics."""
    small = img.copy()
    small.thumbnail((long_side, long_side), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float64) / 255.0


# ------------------------------------------------------------------- encode / portraits


def encode(img: Image.Image, output_format: str) -> bytes:
    """Encode as "png" or "jpg"/"jpeg" (JPEG quality 92, RGB)."""
    fmt = output_format.lower()
    buf = io.BytesIO()
    if fmt == "png":
        img.save(buf, "PNG", compress_level=3)
    elif fmt in ("jpg", "jpeg"):
        _to_rgb(img).save(buf, "JPEG", quality=92)
    else:
        raise ValueError(f"unknown output format {output_format!r}: use 'png' or 'jpg'")
    return buf.getvalue()


def portrait_box(size: tuple[int, int], slot: int, slots: int) -> tuple[int, int, int, int]:
    """The (left, top, right, bottom) box of portrait `slot` of `slots` on a canvas."""
    if slots < 1 or not 0 <= slot < slots:
        raise ValueError(f"slot {slot} is not in 0..{slots - 1}")
    w, h = size
    d = max(8, int(min(h * 0.44, w * 0.86 / slots)))
    gap = (w - slots * d) / (slots + 1)
    left = round(gap + slot * (d + gap))
    top = round(h * 0.56 - d / 2)
    return left, top, left + d, top + d


def paste_portrait(
    canvas: Image.Image, portrait: Image.Image, slot: int, slots: int
) -> Image.Image:
    """Place a profile picture (round, white-bordered, shadowed) into slot `slot` of `slots`.

    Returns a new image; `canvas` is not modified.
    """
    left, top, right, _ = portrait_box(canvas.size, slot, slots)
    d = right - left
    border = max(2, d // 28)
    out = canvas.convert("RGB")
    shadow = Image.new("L", (d + 4 * border, d + 4 * border), 0)
    ImageDraw.Draw(shadow).ellipse((border, border, d + 3 * border, d + 3 * border), fill=110)
    shadow = shadow.filter(ImageFilter.GaussianBlur(border))
    out.paste((0, 0, 0), (left - border, top, left + d + 3 * border, top + d + 4 * border), shadow)
    out.paste((255, 255, 255), (left, top, left + d, top + d), _disc(d))
    inner = d - 2 * border
    face = ImageOps.fit(_to_rgb(portrait), (inner, inner), _LANCZOS, centering=(0.5, 0.4))
    out.paste(face, (left + border, top + border), _disc(inner))
    return out


def _disc(d: int) -> Image.Image:
    """An antialiased disc mask of diameter d."""
    big = Image.new("L", (d * 4, d * 4), 0)
    ImageDraw.Draw(big).ellipse((0, 0, d * 4 - 1, d * 4 - 1), fill=255)
    return big.resize((d, d), Image.Resampling.BOX)
