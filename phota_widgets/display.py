"""Static HTML views of results: a picking grid, compare, before/after and a contact sheet.

Every view embeds small JPEG thumbnails (at most 512 px on a side, never the full images) as
``data:`` URIs, with inline styles only and no JavaScript, so it reads the same in JupyterLab, on
GitHub, on nbviewer and in an exported or saved ``.html`` file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TypeAlias, cast

from PIL import Image

from phota_widgets.api.provenance import OFFLINE_SERVER
from phota_widgets.api.results import OutputImage, Result
from phota_widgets.api.thumbnails import (
    THUMBNAIL_MAX_PX,
    data_uri,
    figure_html,
    grid_html,
    thumbnail_jpeg,
)

__all__ = ["HTMLView", "ImageLike", "before_after", "compare", "contact_sheet", "show"]

ImageLike: TypeAlias = Result | OutputImage | bytes | Image.Image | str | os.PathLike[str]
"""Anything a view can show: a Result (its images), an output, image bytes, a PIL image, a path."""

PROMPT_EXCERPT = 80
"""Characters of a prompt shown in a caption."""

_PAIR_PX = THUMBNAIL_MAX_PX
"""Thumbnail side for two-up views (compare, before/after)."""


class HTMLView:
    """A static, self-contained HTML view (shown by Jupyter through ``_repr_html_``).

    Attributes:
        html: the HTML fragment.
        title: the page title used by :meth:`save`.
    """

    def __init__(self, html: str, title: str = "") -> None:
        self.html = html
        self.title = title

    def _repr_html_(self) -> str:
        return self.html

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write a self-contained ``.html`` page (folders are created) and return its path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.page(), encoding="utf-8")
        return target

    def page(self) -> str:
        """The view as a self-contained HTML page (what :meth:`save` writes)."""
        title = escape(self.title or "phota-widgets")
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>'
            f"<title>{title}</title></head>\n"
            '<body style="font-family:system-ui,sans-serif;margin:16px">\n'
            f"{self.html}\n</body></html>\n"
        )

    def __repr__(self) -> str:
        what = f"{self.title!r}, " if self.title else ""
        return f"HTMLView({what}{len(self.html)} chars)"


# -- public views ------------------------------------------------------------------------------


def show(
    items: ImageLike | Sequence[ImageLike],
    columns: int = 4,
    labels: Sequence[str] | None = None,
    title: str = "",
) -> HTMLView:
    """Several outputs side by side, for picking.

    Args:
        items: one Result (its images, labelled ``#i``), one image, or a sequence of them. A
            sequence made only of Results gives one labelled row per Result.
        columns: images per row.
        labels: one label per item (per image when ``items`` is a single Result).
        title: a heading above the grid.

    Raises:
        ValueError: if ``labels`` does not match the number of items, or an item is not an image.
    """
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    if isinstance(items, Result):
        heading = title or result_caption(items)
        px = _grid_px(min(columns, max(len(items.images), 1)))
        own = _result_figures(items, px, labels)
        return HTMLView(_grid(own, columns, heading), heading)
    if isinstance(items, Sequence) and not isinstance(items, (str, bytes, bytearray)):
        seq: list[ImageLike] = list(items)
    else:
        seq = [cast(ImageLike, items)]
    names = _labels(labels, len(seq))
    if not seq:
        empty = '<div class="phota-empty" style="color:#777">No images to show.</div>'
        return HTMLView(grid_html([empty], 1, title), title)
    results = [item for item in seq if isinstance(item, Result)]
    if len(results) == len(seq):
        width = min(columns, max(len(r.images) for r in results) or 1)
        px = _grid_px(width)
        rows = [
            _result_row(r, name or result_caption(r), width, px)
            for name, r in zip(names, results, strict=True)
        ]
        head = f'<div style="font-weight:600;margin:4px 0">{escape(title)}</div>' if title else ""
        return HTMLView(f'<div class="phota-show">{head}{"".join(rows)}</div>', title)
    figures: list[str] = []
    px = _grid_px(min(columns, len(seq)))
    for name, item in zip(names, seq, strict=True):
        if isinstance(item, Result):
            prefix = f"{name} " if name else ""
            figures += [
                figure_html(img.data, f"{prefix}#{img.index}", max_px=px) for img in item.images
            ]
        else:
            figures.append(_figure(item, name, px))
    return HTMLView(_grid(figures, columns, title), title)


def compare(a: ImageLike, b: ImageLike, labels: tuple[str, str] = ("A", "B")) -> HTMLView:
    """Two images side by side (a Result stands for its first image)."""
    if len(labels) != 2:
        raise ValueError(f"compare takes two labels, got {len(labels)}")
    figures = [_figure(a, labels[0], _PAIR_PX), _figure(b, labels[1], _PAIR_PX)]
    title = f"{labels[0]} vs {labels[1]}"
    return HTMLView(f'<div class="phota-compare">{grid_html(figures, 2)}</div>', title)


def before_after(before: ImageLike, after: ImageLike) -> HTMLView:
    """Before and After side by side, plus an overlay slider made of CSS only (no script).

    The slider appears when both images have the same shape: drag the handle at the bottom of
    the divider (a CSS ``resize`` handle) to uncover more or less of the Before image.
    """
    before_jpeg = thumbnail_jpeg(_pixels(before), max_px=_PAIR_PX)
    after_jpeg = thumbnail_jpeg(_pixels(after), max_px=_PAIR_PX)
    figures = [
        figure_html(before_jpeg, "Before", _PAIR_PX),
        figure_html(after_jpeg, "After", _PAIR_PX),
    ]
    slider = _overlay_slider(before_jpeg, after_jpeg)
    grid = grid_html(figures, 2, "Before / After")
    body = f'<div class="phota-before-after">{grid}{slider}</div>'
    return HTMLView(body, "Before / After")


def contact_sheet(results: Sequence[Result], columns: int = 4, title: str = "") -> HTMLView:
    """Many results in a grid, one cell each (first image) captioned with endpoint, prompt, cost."""
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    px = _grid_px(min(columns, max(len(results), 1)))
    cells = [_sheet_cell(result, px) for result in results]
    if not cells:
        cells = ['<div class="phota-empty" style="color:#777">No results.</div>']
    return HTMLView(f'<div class="phota-contact-sheet">{_grid(cells, columns, title)}</div>', title)


def offline_banner(what: str) -> str:
    """The line that says on a report's face that the offline server made it."""
    return (
        '<div class="phota-offline-banner" style="padding:8px 12px;margin:0 0 12px;'
        'background:#fff4e5;border:1px solid #f0a030;border-radius:4px">'
        f"<b>Made by the {escape(OFFLINE_SERVER)}.</b> {escape(what)} come from phota-widgets' "
        "local image processing, not from Phota's model; nothing was charged.</div>"
    )


def result_caption(result: Result) -> str:
    """One line about a result: endpoint, prompt excerpt, image count and cost."""
    parts = [result.endpoint]
    prompt = result.request.get("prompt")
    if isinstance(prompt, str) and prompt.strip():
        parts.append(f"“{excerpt(prompt)}”")
    parts.append(f"{len(result.images)} image(s)")
    if result.cost_estimate is not None:
        parts.append(f"~${result.cost_estimate:.2f}")
    return " · ".join(parts)


def excerpt(text: str, limit: int = PROMPT_EXCERPT) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# -- pieces ------------------------------------------------------------------------------------


def _grid_px(columns: int) -> int:
    """Thumbnail side for a grid: larger when there are fewer columns, never over 512."""
    return 512 if columns <= 2 else 384 if columns == 3 else 256


def _grid(figures: list[str], columns: int, title: str) -> str:
    """A grid no wider than its figures (one image fills the row instead of a quarter)."""
    return grid_html(figures, min(columns, max(len(figures), 1)), title)


def _labels(labels: Sequence[str] | None, count: int) -> list[str]:
    if labels is None:
        return [""] * count
    if isinstance(labels, str) or len(labels) != count:
        given = 1 if isinstance(labels, str) else len(labels)
        raise ValueError(f"got {given} label(s) for {count} item(s)")
    return [str(label) for label in labels]


def _pixels(item: ImageLike) -> bytes | Image.Image:
    """The image behind an item, as encoded bytes or a PIL image."""
    if isinstance(item, Result):
        if not item.images:
            raise ValueError(f"the {item.endpoint} result has no images")
        return item.images[0].data
    if isinstance(item, OutputImage):
        return item.data
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item)
    if isinstance(item, Image.Image):
        return item
    if isinstance(item, (str, os.PathLike)):
        text = os.fspath(item)
        if text.startswith(("http://", "https://")):
            raise ValueError(
                f"{text[:60]!r} is a URL: static views embed local images only (download it first)"
            )
        path = Path(text).expanduser()
        if not path.is_file():
            raise ValueError(f"no image file at {text!r}")
        return path.read_bytes()
    raise ValueError(f"cannot show a {type(item).__name__} as an image")


def _figure(item: ImageLike, caption: str, px: int) -> str:
    """One thumbnail figure; unreadable bytes give a clear ValueError."""
    pixels = _pixels(item)
    try:
        return figure_html(pixels, caption, max_px=px)
    except (OSError, Image.DecompressionBombError) as exc:
        raise ValueError(
            f"not a readable image{f' ({caption})' if caption else ''}: {exc}"
        ) from None


def _result_figures(result: Result, px: int, labels: Sequence[str] | None) -> list[str]:
    names = _labels(labels, len(result.images)) if labels is not None else None
    return [
        figure_html(img.data, names[i] if names else f"#{img.index}", max_px=px)
        for i, img in enumerate(result.images)
    ]


def _result_row(result: Result, label: str, columns: int, px: int) -> str:
    figures = _result_figures(result, px, None)
    if not figures:
        figures = ['<div style="color:#777">no images</div>']
    grid = grid_html(figures, columns, label)
    return f'<div class="phota-show-row" style="margin-bottom:12px">{grid}</div>'


def _sheet_cell(result: Result, px: int) -> str:
    """A contact-sheet cell: the first image and a caption of endpoint, prompt and cost."""
    lines = [
        result.endpoint + (f" · {len(result.images)} images" if len(result.images) > 1 else "")
    ]
    prompt = result.request.get("prompt")
    if isinstance(prompt, str) and prompt.strip():
        lines.append(f"“{excerpt(prompt, 60)}”")
    if result.cost_estimate is not None:
        lines.append(f"~${result.cost_estimate:.2f}")
    caption = "".join(f"<div>{escape(line)}</div>" for line in lines)
    if result.images:
        src = data_uri(thumbnail_jpeg(result.images[0].data, max_px=px))
        img = f'<img src="{src}" style="max-width:100%;height:auto;border-radius:4px"/>'
    else:
        img = '<div style="color:#777;padding:24px 0">no images</div>'
    return (
        '<figure class="phota-figure phota-sheet-cell" style="margin:0;text-align:center">'
        f'{img}<figcaption style="font-size:12px;color:#333">{caption}</figcaption></figure>'
    )


def _jpeg_size(jpeg: bytes) -> tuple[int, int]:
    import io

    with Image.open(io.BytesIO(jpeg)) as img:
        width, height = img.size
    return int(width), int(height)


def _overlay_slider(before_jpeg: bytes, after_jpeg: bytes) -> str:
    """After underneath, Before on top in a box whose width the reader drags (CSS ``resize``)."""
    bw, bh = _jpeg_size(before_jpeg)
    aw, ah = _jpeg_size(after_jpeg)
    if abs(bw / bh - aw / ah) > 0.02 * (aw / ah):
        return ""  # different shapes (e.g. a crop): an overlay would mislead
    return (
        '<div class="phota-before-after-slider" style="margin-top:8px">'
        '<div style="font-size:12px;color:#555">Slide: drag the handle at the bottom of the '
        "divider (Before on the left, After on the right).</div>"
        f'<div style="position:relative;display:inline-block;line-height:0;max-width:100%">'
        f'<img src="{data_uri(after_jpeg)}" alt="After" '
        f'style="display:block;width:{aw}px;max-width:100%;height:auto"/>'
        '<div style="position:absolute;top:0;left:0;bottom:0;width:50%;min-width:12px;'
        "max-width:100%;overflow:hidden;resize:horizontal;border-right:2px solid #fff;"
        'box-shadow:1px 0 3px rgba(0,0,0,.5)">'
        f'<img src="{data_uri(before_jpeg)}" alt="Before" '
        'style="display:block;height:100%;width:auto;max-width:none"/>'
        "</div></div></div>"
    )
