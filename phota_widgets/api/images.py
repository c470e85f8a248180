"""Images in and out: any image a user holds becomes a wire string; outputs are decoded.

Accepted inputs: a path (``str`` or ``pathlib.Path``), encoded bytes, a PIL image, a numpy array
or an ``http(s)`` URL. EXIF orientation is applied, anything over 4096 px on a side is downscaled,
and the result is raw base64 (no ``data:`` prefix). JPEG, PNG and WebP are sent as they are when
nothing needs changing (only their header is read; pixels are decoded only when something must
change); HEIC/HEIF is read when ``pillow-heif`` is installed; other formats that Pillow reads are
converted to PNG. Location metadata (EXIF GPS, location XMP) is removed before a photo is sent or
stored, without re-encoding its pixels, unless ``strip_location=False``. Non-images, empty images
and decompression bombs get a clear :class:`~phota_widgets.api.errors.InvalidRequestError`.
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
from phota_widgets.api.location import has_location, strip_jpeg_location, strip_png_location
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


def to_wire(image: ImageInput, *, what: str = "image", strip_location: bool = True) -> WireImage:
    """Turn any accepted image into what the API takes.

    Args:
        image: a path, bytes, PIL image, numpy array or http(s) URL.
        what: the parameter's name, used in error messages.
        strip_location: remove GPS/location metadata (the pixels are left as they are).

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
        data, label = _encode_given_pil(image, what), "PIL image"
    elif _is_array(image):
        data, label = encode_pil(_fit_side(_from_array(image, what)), what=what), "array"
    else:
        raise InvalidRequestError(
            f"{what}: expected a path, bytes, PIL image, numpy array or http(s) URL, "
            f"got {type(image).__name__}"
        )
    data = prepare_bytes(data, what=what, strip_location=strip_location)
    digest = hashlib.sha256(data).hexdigest()
    kind = sniff_format(data) or "image"
    description = f"{label}: {kind} {len(data) / 1024:.0f} kB sha256:{digest[:12]}"
    return WireImage(
        value=base64.b64encode(data).decode("ascii"),
        description=description,
        sha256=digest,
        data=data,
    )


def prepare_bytes(data: bytes, *, what: str = "image", strip_location: bool = True) -> bytes:
    """Check encoded image bytes; decode and re-encode only when orientation, size or format
    needs it (a JPEG is decoded at reduced scale first when it is too large).

    Location metadata is removed losslessly from a photo sent as it is (``strip_location``).
    """
    img = open_image(data, what=what, decode=False)
    fmt = (img.format or "").upper()
    exif = img.getexif()
    needs_rotate = exif.get(0x0112, 1) not in (0, 1)
    too_big = max(img.size) > MAX_INPUT_SIDE
    if fmt in WIRE_FORMATS and not needs_rotate and not too_big:
        _check_complete(data, fmt, what)
        if not strip_location or not _may_hold_location(img, exif):
            return data
        stripped = _without_location(data, fmt)
        if stripped is not None:
            return stripped
        # no lossless way for this format: decode and send it losslessly as PNG
        return encode_pil(_decoded(img, what), what=what, lossless=True)
    if too_big and fmt == "JPEG":
        img.draft(img.mode, (MAX_INPUT_SIDE, MAX_INPUT_SIDE))  # decode at 1/2, 1/4 ... scale
    img = _decoded(img, what)
    if needs_rotate:
        ImageOps.exif_transpose(img, in_place=True)
    if max(img.size) > MAX_INPUT_SIDE:
        img.thumbnail((MAX_INPUT_SIDE, MAX_INPUT_SIDE), Image.Resampling.LANCZOS)
    return encode_pil(img, what=what)


def _decoded(img: Image.Image, what: str) -> Image.Image:
    """Decode an opened image's pixels, turning decoder failures into a clear error."""
    try:
        img.load()
    except (OSError, ValueError, SyntaxError) as exc:
        raise InvalidRequestError(f"{what}: the image is corrupt or truncated ({exc})") from None
    return img


def _check_complete(data: bytes, fmt: str, what: str) -> None:
    """Refuse a JPEG or PNG cut short, from its last bytes (without decoding its pixels)."""
    tail = data[-64:].rstrip(b"\x00")
    truncated = (fmt == "JPEG" and not tail.endswith(b"\xff\xd9")) or (
        fmt == "PNG" and b"IEND" not in tail
    )
    if truncated:
        raise InvalidRequestError(f"{what}: the image is corrupt or truncated (its end is missing)")


def _may_hold_location(img: Image.Image, exif: Image.Exif) -> bool:
    if has_location(exif):
        return True
    xmp = img.info.get("xmp") or img.info.get("XML:com.adobe.xmp") or b""
    return isinstance(xmp, (bytes, str)) and "GPS" in (
        xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else xmp
    )


def _without_location(data: bytes, fmt: str) -> bytes | None:
    """The same file without location metadata, edited losslessly (None: not possible here)."""
    if fmt == "JPEG":
        return strip_jpeg_location(data)
    if fmt == "PNG":
        return strip_png_location(data)
    return None


def open_image(data: bytes, *, what: str = "image", decode: bool = True) -> Image.Image:
    """Open encoded bytes as a PIL image, refusing non-images, empty images and bombs.

    Args:
        decode: also decode the pixels (False: read the header only; decode later).
    """
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
            if width == 0 or height == 0:
                raise InvalidRequestError(f"{what}: the image is empty ({width}x{height} px)")
            if decode:
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


def encode_pil(img: Image.Image, *, what: str = "image", lossless: bool = False) -> bytes:
    """Encode a PIL image for the wire: PNG when it has transparency (or ``lossless``),
    otherwise JPEG (q95). No metadata is written.

    Raises:
        InvalidRequestError: an empty image, or a mode that cannot be sent.
    """
    if img.width == 0 or img.height == 0:
        raise InvalidRequestError(f"{what}: the image is empty ({img.width}x{img.height} px)")
    out = io.BytesIO()
    bands = img.getbands()
    has_alpha = "A" in bands or "a" in bands or (img.mode == "P" and "transparency" in img.info)
    try:
        if img.mode == "La":  # premultiplied alpha: Pillow converts it only to LA
            img = img.convert("LA")
        if has_alpha or lossless:
            plain = img if img.mode in ("1", "L", "LA", "P", "RGB", "RGBA") else None
            if plain is None:
                plain = img.convert("RGBA" if has_alpha else "RGB")
            plain.save(out, format="PNG")
        else:
            (img if img.mode in ("RGB", "L") else img.convert("RGB")).save(
                out, format="JPEG", quality=95
            )
    except (OSError, ValueError) as exc:
        raise InvalidRequestError(f"{what}: cannot encode a {img.mode} image ({exc})") from None
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
    except ValueError as exc:  # e.g. a NUL byte in the path
        raise InvalidRequestError(f"{what}: not a usable file path ({exc})") from None


def _encode_given_pil(image: Image.Image, what: str) -> bytes:
    """Encode a caller's PIL image (never changed in place): orientation applied, side fitted."""
    if image.width == 0 or image.height == 0:
        raise InvalidRequestError(f"{what}: the image is empty ({image.width}x{image.height} px)")
    try:
        rotated = image.getexif().get(0x0112, 1) not in (0, 1)
        upright = ImageOps.exif_transpose(image) if rotated else image  # no needless copy
    except (OSError, ValueError) as exc:
        raise InvalidRequestError(f"{what}: cannot read this PIL image ({exc})") from None
    return encode_pil(_fit_side(upright), what=what)


def _fit_side(img: Image.Image) -> Image.Image:
    """Downscale so that no side exceeds the API's 4096 px (a new image; the given one stays)."""
    if max(img.size) <= MAX_INPUT_SIDE:
        return img
    scale = MAX_INPUT_SIDE / max(img.size)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(size, Image.Resampling.LANCZOS)


def _is_array(value: object) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "shape")


def _from_array(array: Any, what: str) -> Image.Image:
    """Build an image from an HxW, HxWx3 or HxWx4 array (uint8, or floats in 0..1)."""
    import numpy as np

    arr = np.asarray(array)
    if arr.size == 0:
        raise InvalidRequestError(f"{what}: the array is empty (shape {arr.shape})")
    if arr.dtype.kind not in "biuf":
        raise InvalidRequestError(
            f"{what}: an array image must hold numbers (uint8, or floats in 0..1), "
            f"got dtype {arr.dtype}"
        )
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise InvalidRequestError(
            f"{what}: an array image must be HxW, HxWx3 or HxWx4, got shape {arr.shape}"
        )
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.dtype.kind == "b":
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            raise InvalidRequestError(f"{what}: the array holds NaN or infinite values")
        arr = (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif arr.dtype != np.uint8:
        if arr.min() < 0 or arr.max() > 255:
            raise InvalidRequestError(f"{what}: integer arrays must hold values in 0..255")
        arr = arr.astype(np.uint8)
    return Image.fromarray(arr)
