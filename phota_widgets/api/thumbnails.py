"""Small JPEG thumbnails: what widgets, HTML views and reprs show instead of full images."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

THUMBNAIL_MAX_PX = 512
"""Longest side of every thumbnail shown in a notebook."""


def thumbnail_jpeg(
    image: bytes | Image.Image, max_px: int = THUMBNAIL_MAX_PX, quality: int = 80
) -> bytes:
    """Return a JPEG thumbnail whose longest side is at most ``max_px``.

    Args:
        image: encoded image bytes or a PIL image.
        max_px: longest side of the thumbnail.
        quality: JPEG quality.
    """
    img: Image.Image
    if isinstance(image, bytes):
        opened = Image.open(io.BytesIO(image))
        opened.draft("RGB", (max_px, max_px))  # JPEG: decode at reduced scale, much faster
        img = ImageOps.exif_transpose(opened)
    else:
        img = image.copy()
    img.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    if img.mode != "RGB":
        img = _flatten(img)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _flatten(img: Image.Image) -> Image.Image:
    """Composite transparent images on white and convert everything to RGB."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def data_uri(jpeg: bytes) -> str:
    """A ``data:`` URI for JPEG bytes, for embedding in static HTML."""
    import base64

    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def figure_html(image: bytes | Image.Image, caption: str = "", max_px: int = 256) -> str:
    """One thumbnail with a caption, as a self-contained HTML ``<figure>``."""
    from html import escape

    src = data_uri(thumbnail_jpeg(image, max_px=max_px))
    cap = f'<figcaption style="font-size:12px">{escape(caption)}</figcaption>' if caption else ""
    return (
        '<figure class="phota-figure" style="margin:0;text-align:center">'
        f'<img src="{src}" style="max-width:100%;height:auto;border-radius:4px"/>{cap}</figure>'
    )


def grid_html(figures: list[str], columns: int = 4, title: str = "") -> str:
    """Lay HTML figures out side by side in a grid of ``columns`` columns."""
    from html import escape

    head = f'<div style="font-weight:600;margin:4px 0">{escape(title)}</div>' if title else ""
    cells = "".join(figures)
    return (
        f'<div class="phota-grid">{head}<div style="display:grid;'
        f"grid-template-columns:repeat({max(columns, 1)},minmax(0,1fr));gap:8px;"
        f'align-items:start">{cells}</div></div>'
    )
