"""Removing location metadata from encoded photos without touching their pixels.

A JPEG's EXIF (APP1) segment is rewritten without its GPS directory and XMP packets naming a
location are dropped; the compressed image data is copied byte for byte, so nothing is decoded
or re-encoded and the orientation tag stays. PNG ``eXIf`` chunks are handled the same way.
"""

from __future__ import annotations

import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
EXIF_HEADER = b"Exif\x00\x00"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_LOCATION_WORDS = (b"GPS", b"Location", b"City", b"photoshop:State", b"Iptc4xmpCore:Country")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def has_location(exif: Image.Exif) -> bool:
    """Whether EXIF data holds a GPS directory."""
    return GPS_IFD in exif


def strip_jpeg_location(data: bytes) -> bytes | None:
    """The JPEG without its GPS data and location XMP, or None if its structure is unreadable.

    Only the metadata segments before the image data change; the rest is copied as it is.
    """
    if data[:2] != b"\xff\xd8":
        return None
    out = [data[:2]]
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            out.append(b"\xff")
            pos += 1
            continue
        if marker == 0xDA or marker == 0xD9:  # start of scan / end: the rest is image data
            out.append(data[pos:])
            return b"".join(out)
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        end = pos + 2 + length
        if length < 2 or end > len(data):
            return None
        segment = data[pos:end]
        payload = segment[4:]
        if marker == 0xE1 and payload.startswith(EXIF_HEADER):
            segment = _exif_segment_without_gps(payload)
        elif marker == 0xE1 and payload.startswith(XMP_HEADER) and _names_a_place(payload):
            segment = b""
        out.append(segment)
        pos = end
    return None


def _names_a_place(xmp: bytes) -> bool:
    return any(word in xmp for word in XMP_LOCATION_WORDS)


def _exif_segment_without_gps(payload: bytes) -> bytes:
    exif = Image.Exif()
    exif.load(payload)
    if GPS_IFD not in exif:
        return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    for tag in list(exif):  # load the nested directories, so they are written back
        if tag != GPS_IFD:
            exif.get_ifd(tag)
    del exif[GPS_IFD]
    rewritten = exif.tobytes()
    if not rewritten.startswith(EXIF_HEADER):
        rewritten = EXIF_HEADER + rewritten
    return b"\xff\xe1" + struct.pack(">H", len(rewritten) + 2) + rewritten


def strip_png_location(data: bytes) -> bytes | None:
    """The PNG with GPS removed from its ``eXIf`` chunk, or None if its structure is unreadable."""
    if not data.startswith(_PNG_SIGNATURE):
        return None
    out = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            return None
        chunk = data[pos:end]
        if kind == b"eXIf":
            exif = Image.Exif()
            exif.load(EXIF_HEADER + data[pos + 8 : pos + 8 + length])
            if GPS_IFD in exif:
                for tag in list(exif):
                    if tag != GPS_IFD:
                        exif.get_ifd(tag)
                del exif[GPS_IFD]
                body = exif.tobytes().removeprefix(EXIF_HEADER)
                crc = zlib.crc32(b"eXIf" + body) & 0xFFFFFFFF
                chunk = struct.pack(">I4s", len(body), b"eXIf") + body + struct.pack(">I", crc)
        out.append(chunk)
        pos = end
        if kind == b"IEND":
            return b"".join(out)
    return None
