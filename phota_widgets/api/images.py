"""Images in and out: any image a user holds becomes a wire string; outputs are decoded.

Accepted inputs: a path (``str`` or ``pathlib.Path``), encoded bytes, a PIL image, a numpy array
or an ``http(s)`` URL. EXIF orientation is applied, anything over 4096 px on a side is downscaled,
and the result is raw base64 (no ``data:`` prefix). JPEG, PNG and WebP are sent as they are when
nothing needs changing; HEIC/HEIF is read when ``pillow-heif`` is installed; other formats that
Pillow reads are converted to PNG. Non-images and decompression bombs get a clear
:class:`~phota_widgets.api.errors.InvalidRequestError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from PIL import Image, ImageOps, UnidentifiedImageError

from phota_widgets.api.errors import InvalidRequestError
from phota_widgets.api.models import MAX_INPUT_SIDE

if TYPE_CHECKING:
    import numpy as np

ImageInput = Union[str, "os.PathLike[str]", bytes, Image.Image, "np.ndarray[Any, Any]", "WireImage"]
"""Anything the client accepts as an input image."""

MAX_INPUT_PIXELS = 150_000_000
"""Refuse images with more pixels than this (a decompression bomb, or not a photo)."""

WIRE_FORMATS = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp", "HEIF": "heif", "HEIC": "heic"}


def _register_heif() -> bool:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


HEIF_SUPPORTED = _register_heif()


@dataclass(frozen=True)
class WireImage:
    """An input image ready to send.

    Attributes:
        value: raw base64 of the file, or the URL.
        description: short text for logs and the run store (never the bytes).
        sha256: hash of the bytes sent (``None`` for a URL).
        data: the bytes sent (``None`` for a URL).
    """

    value: str
    description: str
    sha256: str | None = None
    data: bytes | None = None

    def __repr__(self) -> str:
        return f"WireImage({self.description})"


def is_url(value: object) -> bool:
    """Whether a value is an http(s) URL string."""
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def to_wire(image: ImageInput, *, what: str = "image") -> WireImage:
    """Turn any accepted image into what the API takes.

    Args:
        image: a path, bytes, PIL image, numpy array or http(s) URL.
        what: the parameter's name, used in error messages.

    Raises:
        InvalidRequestError: the file is missing, not an image, too large or of an unknown type.
    """
    if isinstance(image, WireImage):
        return image
    if is_url(image):
        assert isinstance(image, str)
        return WireImage(value=image, description=image)
    if isinstance(image, (str, os.PathLike)):
        data, label = _read_file(Path(image), what), str(image)
    elif isinstance(image, (bytes, bytearray, memoryview)):
        data, label = bytes(image), "bytes"
    elif isinstance(image, Image.Image):
        data, label = encode_pil(_fit_side(ImageOps.exif_transpose(image))), "PIL image"
    elif _is_array(image):
        data, label = encode_pil(_fit_side(_from_array(image, what))), "array"
    else:
        raise InvalidRequestError(
            f"{what}: expected a path, bytes, PIL image, numpy array or http(s) URL, "
            f"got {type(image).__name__}"
        )
    data = prepare_bytes(data, what=what)
    digest = hashlib.sha256(data).hexdigest()
    kind = sniff_format(data) or "image"
    description = f"{label}: {kind} {len(data) / 1024:.0f} kB sha256:{digest[:12]}"
    return WireImage(
        value=base64.b64encode(data).decode("ascii"),
        description=description,
        sha256=digest,
        data=data,
    )


def prepare_bytes(data: bytes, *, what: str = "image") -> bytes:
    """Check encoded image bytes; re-encode only when orientation, size or format needs it."""
    img = open_image(data, what=what)
    fmt = (img.format or "").upper()
    orientation = img.getexif().get(0x0112, 1)
    needs_rotate = orientation not in (0, 1)
    too_big = max(img.size) > MAX_INPUT_SIDE
    if fmt in WIRE_FORMATS and not needs_rotate and not too_big:
        return data
    if needs_rotate:
        img = ImageOps.exif_transpose(img)
    return encode_pil(_fit_side(img))


def open_image(data: bytes, *, what: str = "image") -> Image.Image:
    """Open encoded bytes as a PIL image, refusing non-images and decompression bombs."""
    if not data:
        raise InvalidRequestError(f"{what}: the image is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            width, height = img.size
            if width * height > MAX_INPUT_PIXELS:
                raise InvalidRequestError(
                    f"{what}: {width}x{height} px is too large to be a photo "
                    f"(more than {MAX_INPUT_PIXELS:,} pixels)"
                )
            img.load()
    except InvalidRequestError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidRequestError(f"{what}: refused as a decompression bomb ({exc})") from None
    except UnidentifiedImageError:
        hint = "" if HEIF_SUPPORTED else " (for HEIC/HEIF: pip install 'phota-widgets[heif]')"
        raise InvalidRequestError(f"{what}: not a readable image{hint}") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise InvalidRequestError(f"{what}: the image is corrupt or truncated ({exc})") from None
    return img


def encode_pil(img: Image.Image) -> bytes:
    """Encode a PIL image for the wire: PNG when it has transparency, otherwise JPEG (q95)."""
    out = io.BytesIO()
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img.save(out, format="PNG")
    else:
        img.convert("RGB").save(out, format="JPEG", quality=95)
    return out.getvalue()


def sniff_format(data: bytes) -> str | None:
    """Name the format of encoded image bytes from their signature (``jpeg``, ``png``, ...)."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heif"):
        return "heif"
    return None


def decode_base64_image(value: str) -> bytes:
    """Decode a base64 output image (tolerating a ``data:`` prefix and missing padding)."""
    if value.startswith("data:"):
        value = value.partition(",")[2]
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"output image is not valid base64 ({exc})") from None


def _read_file(path: Path, what: str) -> bytes:
    try:
        return path.expanduser().read_bytes()
    except FileNotFoundError:
        raise InvalidRequestError(f"{what}: no such file: {path}") from None
    except IsADirectoryError:
        raise InvalidRequestError(f"{what}: {path} is a directory, not an image") from None
    except OSError as exc:
        raise InvalidRequestError(f"{what}: cannot read {path} ({exc.strerror})") from None


def _fit_side(img: Image.Image) -> Image.Image:
    """Downscale so that no side exceeds the API's 4096 px."""
    if max(img.size) <= MAX_INPUT_SIDE:
        return img
    img = img.copy()
    img.thumbnail((MAX_INPUT_SIDE, MAX_INPUT_SIDE), Image.Resampling.LANCZOS)
    return img


def _is_array(value: object) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "shape")


def _from_array(array: Any, what: str) -> Image.Image:
    """Build an image from an HxW, HxWx3 or HxWx4 array (uint8, or floats in 0..1)."""
    import numpy as np

    arr = np.asarray(array)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise InvalidRequestError(
            f"{what}: an array image must be HxW, HxWx3 or HxWx4, got shape {arr.shape}"
        )
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.dtype.kind == "f":
        arr = (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif arr.dtype != np.uint8:
        if arr.min() < 0 or arr.max() > 255:
            raise InvalidRequestError(f"{what}: integer arrays must hold values in 0..255")
        arr = arr.astype(np.uint8)
    return Image.fromarray(arr)
