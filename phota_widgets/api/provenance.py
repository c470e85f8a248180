"""What made an image, carried inside it: the prompt and settings of the call, never a key.

Saved and downloaded outputs embed an A1111-style ``parameters`` text (the prompt, then one line
of ``Name: value`` settings) and a ``phota`` JSON record that reads back exactly:

- PNG: ``iTXt`` chunks ``parameters`` and ``phota``, placed before the pixel data;
- JPEG: EXIF ``UserComment`` (the ``parameters`` text, ``UNICODE``) and ``ImageDescription``
  (the JSON record, ASCII-escaped), in the file's EXIF segment.

The pixel data is never re-encoded: the metadata is inserted next to it, so the run store keeps
the bytes exactly as received and only the copies handed out carry the settings.
:func:`read_settings` reads either form back (the JSON when present, else the prompt of a
``parameters`` text written by another tool).
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

GENERATOR = "phota-widgets"
OFFLINE_SERVER = "offline stand-in server (not Phota)"
"""How an image, report or export made by the embedded local server names its server."""

PARAMETERS_KEY = "parameters"
JSON_KEY = "phota"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_EXIF_HEADER = b"Exif\x00\x00"
_IMAGE_DESCRIPTION = 0x010E
_SOFTWARE = 0x0131
_EXIF_IFD = 0x8769
_USER_COMMENT = 0x9286
_UNICODE_PREFIX = b"UNICODE\x00"
_MAX_SEGMENT = 65533
_NOT_SETTINGS = {"async_", "response_mode", "callback_url", "client_request_id"}
_SECRET_WORDS = ("key", "token", "secret", "password", "authorization")


def server_label(backend: str | None) -> str | None:
    """``offline stand-in server (not Phota)`` for an embedded server's backend id, else None."""
    if backend is not None and backend.split(":", 1)[0] == "local":
        return OFFLINE_SERVER
    return None


def server_name(backend: str) -> str:
    """What to call a run's server in a table: the offline label, else the API root it used."""
    return server_label(backend) or backend


def embeddable(params: Mapping[str, Any]) -> dict[str, Any]:
    """The settings worth carrying: no images, no transport fields, nothing named like a key."""
    from phota_widgets.api.client import IMAGE_FIELDS

    kept: dict[str, Any] = {}
    for name, value in params.items():
        lowered = name.lower()
        if name in IMAGE_FIELDS or name in _NOT_SETTINGS:
            continue
        if any(word in lowered for word in _SECRET_WORDS):
            continue
        if isinstance(value, (bytes, bytearray, memoryview)):
            continue
        kept[name] = value
    return kept


@dataclass(frozen=True)
class ImageSettings:
    """The call behind an image: endpoint, prompt and settings (inputs and keys left out).

    Attributes:
        endpoint: ``generate``, ``edit``, ``enhance`` or ``remix``.
        params: the request's settings, prompt included (see :func:`embeddable`).
        run_id: the run store's id of the run, when known.
        index: the output's position among the run's outputs.
        server: :data:`OFFLINE_SERVER` for images made by the embedded server, else None.
        inputs: how many input images the call had (they are not carried).
    """

    endpoint: str
    params: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    index: int | None = None
    server: str | None = None
    inputs: int = 0

    @classmethod
    def of_call(
        cls,
        endpoint: str,
        params: Mapping[str, Any],
        *,
        run_id: str | None = None,
        index: int | None = None,
        backend: str | None = None,
    ) -> ImageSettings:
        """The settings of one call's output (images counted, keys and transport dropped)."""
        from phota_widgets.api.client import IMAGE_FIELDS

        inputs = 0
        for name in IMAGE_FIELDS:
            value = params.get(name)
            if value is not None:
                inputs += len(value) if isinstance(value, (list, tuple)) else 1
        return cls(endpoint, embeddable(params), run_id, index, server_label(backend), inputs)

    @property
    def prompt(self) -> str:
        """The prompt ('' when the call had none)."""
        value = self.params.get("prompt")
        return value if isinstance(value, str) else ""

    def infotext(self) -> str:
        """The A1111-style text: the prompt, then ``Name: value, ...`` on the last line."""
        pairs: list[tuple[str, Any]] = [("Endpoint", self.endpoint)]
        pairs += [(_title(k), v) for k, v in self.params.items() if k != "prompt"]
        if self.inputs:
            pairs.append(("Input images", self.inputs))
        if self.server:
            pairs.append(("Server", self.server))
        pairs.append(("Generator", GENERATOR))
        line = ", ".join(f"{name}: {_infotext_value(value)}" for name, value in pairs)
        return f"{self.prompt}\n{line}" if self.prompt else line

    def to_json(self) -> str:
        """The exact record (ASCII only, so it fits EXIF's ASCII tags too)."""
        record = {
            "generator": GENERATOR,
            "endpoint": self.endpoint,
            "params": self.params,
            "run_id": self.run_id,
            "index": self.index,
            "server": self.server,
            "inputs": self.inputs,
        }
        return json.dumps(record, ensure_ascii=True, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> ImageSettings | None:
        """Read :meth:`to_json` back (None for anything else)."""
        try:
            record = json.loads(text)
        except (TypeError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("generator") != GENERATOR:
            return None
        params = record.get("params")
        index = record.get("index")
        return cls(
            endpoint=str(record.get("endpoint") or ""),
            params=embeddable(params) if isinstance(params, dict) else {},
            run_id=record.get("run_id") if isinstance(record.get("run_id"), str) else None,
            index=index if isinstance(index, int) else None,
            server=record.get("server") if isinstance(record.get("server"), str) else None,
            inputs=int(record.get("inputs") or 0),
        )


# -- writing ---------------------------------------------------------------------------------


def embed_settings(data: bytes, settings: ImageSettings) -> bytes:
    """The image with its settings embedded (PNG or JPEG; other formats come back unchanged).

    The pixel data is copied as it is; earlier ``parameters``/``phota`` entries are replaced.
    """
    if data.startswith(_PNG_SIGNATURE):
        return _png_with_text(
            data, {PARAMETERS_KEY: settings.infotext(), JSON_KEY: settings.to_json()}
        )
    if data.startswith(b"\xff\xd8"):
        return _jpeg_with_exif(data, settings)
    return data


def _png_with_text(data: bytes, texts: Mapping[str, str]) -> bytes:
    out = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    inserted = False
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        chunk = data[pos:end]
        if kind in (b"IDAT", b"IEND") and not inserted:
            out.extend(_itxt(key, text) for key, text in texts.items())
            inserted = True
        if not (kind in (b"iTXt", b"tEXt", b"zTXt") and _chunk_keyword(chunk) in texts):
            out.append(chunk)
        pos = end
    return b"".join(out)


def _chunk_keyword(chunk: bytes) -> str:
    body = chunk[8:-4]
    return body.split(b"\x00", 1)[0].decode("latin-1")


def _itxt(keyword: str, text: str) -> bytes:
    """An uncompressed international text chunk (UTF-8)."""
    body = keyword.encode("latin-1") + b"\x00\x00\x00" + b"\x00" + b"\x00" + text.encode("utf-8")
    head = b"iTXt" + body
    return struct.pack(">I", len(body)) + head + struct.pack(">I", zlib.crc32(head))


def _jpeg_with_exif(data: bytes, settings: ImageSettings) -> bytes:
    with Image.open(BytesIO(data)) as img:
        exif = img.getexif()
    exif[_IMAGE_DESCRIPTION] = settings.to_json()
    exif[_SOFTWARE] = GENERATOR
    exif.get_ifd(_EXIF_IFD)[_USER_COMMENT] = _UNICODE_PREFIX  # learn the byte order first
    codec = "utf-16-le" if _exif_payload(exif)[6:8] == b"II" else "utf-16-be"
    comment = _UNICODE_PREFIX + settings.infotext().encode(codec)
    exif.get_ifd(_EXIF_IFD)[_USER_COMMENT] = comment
    payload = _exif_payload(exif)
    if len(payload) > _MAX_SEGMENT:  # a very long prompt: keep the exact record only
        del exif.get_ifd(_EXIF_IFD)[_USER_COMMENT]
        payload = _exif_payload(exif)
        if len(payload) > _MAX_SEGMENT:
            return data
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    head, tail = _split_after_app0(data)
    return head + segment + tail


def _exif_payload(exif: Image.Exif) -> bytes:
    """The APP1 segment's content: ``Exif\\0\\0`` and the TIFF-structured tags."""
    payload = bytes(exif.tobytes())
    return payload if payload.startswith(_EXIF_HEADER) else _EXIF_HEADER + payload


def _split_after_app0(data: bytes) -> tuple[bytes, bytes]:
    """The JPEG split after its SOI (and JFIF APP0), with any EXIF APP1 segment dropped."""
    pos = 2
    head_end = 2
    kept: list[bytes] = []
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xDA or not 0xE0 <= marker <= 0xEF:  # only application segments lead
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segment = data[pos : pos + 2 + length]
        if marker == 0xE0 and pos == 2:  # JFIF's APP0 stays first
            head_end = pos + 2 + length
        elif not (marker == 0xE1 and segment[4:10] == _EXIF_HEADER):
            kept.append(segment)
        pos += 2 + length
    return data[:head_end], b"".join(kept) + data[pos:]


# -- reading ---------------------------------------------------------------------------------


def read_settings(source: bytes | str | os.PathLike[str]) -> ImageSettings | None:
    """The settings an image carries (None when it carries none or is not an image).

    Reads what :func:`embed_settings` writes; from another tool's A1111-style ``parameters``
    text, only the prompt.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        with Image.open(BytesIO(data)) as img:
            texts = dict(getattr(img, "text", {}) or {})
            exif = img.getexif()
            little = _exif_payload(exif)[6:8] == b"II" if exif else False
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    description = exif.get(_IMAGE_DESCRIPTION)
    for candidate in (texts.get(JSON_KEY), description):
        if isinstance(candidate, str):
            found = ImageSettings.from_json(candidate)
            if found is not None:
                return found
    infotext = texts.get(PARAMETERS_KEY) or _user_comment(
        exif.get_ifd(_EXIF_IFD).get(_USER_COMMENT), little
    )
    if not infotext:
        return None
    lines = infotext.strip().splitlines()
    prompt = "\n".join(lines[:-1]) if len(lines) > 1 else ""
    return ImageSettings(endpoint="", params={"prompt": prompt} if prompt else {})


def _user_comment(value: Any, little_endian: bool) -> str:
    """An EXIF UserComment as text (``UNICODE`` is UTF-16 in the file's byte order)."""
    if not isinstance(value, bytes):
        return value if isinstance(value, str) else ""
    if value.startswith(_UNICODE_PREFIX):
        codec = "utf-16-le" if little_endian else "utf-16-be"
        return value[len(_UNICODE_PREFIX) :].decode(codec, errors="replace")
    return value[8:].decode("utf-8", errors="replace")


def _title(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _infotext_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if any(c in text for c in ',"\n'):
        return json.dumps(text, ensure_ascii=False)
    return text
