"""Static HTML views: thumbnails only, escaped labels and captions, self-contained files."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from phota_widgets.api.results import OutputImage, Result
from phota_widgets.display import HTMLView, before_after, compare, contact_sheet, show

DATA = Path(__file__).parent / "data"
DATA_URI = re.compile(r"data:image/jpeg;base64,([A-Za-z0-9+/=]+)")
EVIL = '<b>bold</b> & "quotes"'


def embedded(html: str) -> list[Image.Image]:
    """Every image embedded in the HTML, decoded (all must be JPEG)."""
    images = []
    for payload in DATA_URI.findall(html):
        img = Image.open(io.BytesIO(base64.b64decode(payload)))
        assert img.format == "JPEG"
        images.append(img)
    assert "data:image/png" not in html  # nothing embedded as-is
    return images


def assert_thumbnails(html: str, count: int, max_px: int = 512) -> None:
    images = embedded(html)
    assert len(images) == count
    assert all(max(img.size) <= max_px for img in images), [img.size for img in images]


@pytest.fixture(scope="module")
def big_png() -> bytes:
    """A 2400 x 1600 noisy PNG (several MB): what must never be embedded whole."""
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, size=(1600, 2400, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG", compress_level=1)
    return out.getvalue()


@pytest.fixture(scope="module")
def result(big_png: bytes) -> Result:
    images = [OutputImage(0, data=big_png), OutputImage(1, data=(DATA / "coffee.jpg").read_bytes())]
    long_prompt = f"{EVIL} " + "a very long prompt about a sunny beach " * 5
    return Result(
        endpoint="generate", images=images, request={"prompt": long_prompt}, cost_estimate=0.18
    )


def test_show_result_embeds_small_labelled_thumbnails(result: Result, big_png: bytes) -> None:
    view = show(result)
    html = view._repr_html_()
    assert_thumbnails(html, 2)
    assert ">#0<" in html and ">#1<" in html
    assert len(html) < len(big_png) / 20  # thumbnails, not the 2400 px image
    assert "&lt;b&gt;bold&lt;/b&gt; &amp;" in html  # the prompt in the title, escaped
    assert "<b>bold</b>" not in html
    assert "$0.18" in html


def test_show_mixed_items_with_labels(tmp_path: Path) -> None:
    pil = Image.new("RGB", (900, 300), (200, 30, 30))
    items = [
        str(DATA / "chelsea.jpg"),
        DATA / "rocket.jpg",
        (DATA / "astronaut.jpg").read_bytes(),
        pil,
        OutputImage(3, data=(DATA / "coffee.jpg").read_bytes()),
    ]
    labels = ["cat", "rocket", EVIL, "red", "cup"]
    html = show(items, columns=3, labels=labels, title="Pick <one>").html
    assert_thumbnails(html, 5)
    sizes = [img.size for img in embedded(html)]
    assert sizes[3] == (384, 128)  # three columns: 384 px thumbnails, aspect kept
    for label in ("cat", "rocket", "red", "cup", "&lt;b&gt;bold&lt;/b&gt;", "Pick &lt;one&gt;"):
        assert label in html
    assert "<one>" not in html
    with pytest.raises(ValueError, match="2 label"):
        show(items, labels=["only", "two"])


def test_show_list_of_results_gives_labelled_rows(result: Result) -> None:
    other = Result(
        endpoint="edit", images=[OutputImage(0, data=(DATA / "rocket.jpg").read_bytes())]
    )
    html = show([result, other], labels=["first <run>", "second"]).html
    assert html.count('class="phota-show-row"') == 2
    assert "first &lt;run&gt;" in html and "second" in html
    assert_thumbnails(html, 3)
    default = show([result, other]).html  # rows captioned by what each result was
    assert "generate" in default and "edit · 1 image(s)" in default


def test_show_single_image_and_empty() -> None:
    html = show((DATA / "coffee.jpg").read_bytes(), labels=["only"]).html
    assert_thumbnails(html, 1)
    assert "only" in html
    assert "No images" in show([]).html


def test_bad_inputs_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="URL"):
        show("https://example.com/a.jpg")
    with pytest.raises(ValueError, match="no image file"):
        show(tmp_path / "missing.jpg")
    with pytest.raises(ValueError, match="not a readable image"):
        show(b"definitely not an image")
    with pytest.raises(ValueError, match="columns"):
        show(b"x", columns=0)


def test_compare_two_labelled(result: Result) -> None:
    html = compare(result, DATA / "chelsea.jpg", labels=("model <x>", "model y")).html
    assert_thumbnails(html, 2)
    assert "model &lt;x&gt;" in html and "model y" in html
    assert max(embedded(html)[0].size) == 512  # a Result stands for its first (large) image


def test_before_after_with_css_slider(big_png: bytes) -> None:
    dark = Image.open(io.BytesIO(big_png)).point(lambda v: v // 2)
    html = before_after(big_png, dark).html
    assert "Before" in html and "After" in html
    assert "phota-before-after-slider" in html and "resize:horizontal" in html
    assert "<script" not in html
    assert_thumbnails(html, 4)  # two figures + the two layers of the slider
    cropped = dark.crop((0, 0, 1600, 900))  # another shape: no misleading overlay
    html = before_after(big_png, cropped).html
    assert "phota-before-after-slider" not in html
    assert_thumbnails(html, 2)


def test_contact_sheet_captions(result: Result) -> None:
    plain = Result(
        endpoint="enhance", images=[OutputImage(0, data=(DATA / "rocket.jpg").read_bytes())]
    )
    empty = Result(endpoint="remix", images=[])
    html = contact_sheet([result, plain, empty], columns=2, title="Sheet & co").html
    assert html.count("phota-sheet-cell") == 3
    assert_thumbnails(html, 2)  # one cell image per result that has images
    assert "generate · 2 images" in html and "enhance" in html and "remix" in html
    assert "~$0.18" in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot;" in html
    assert "…" in html  # the long prompt is cut
    assert "Sheet &amp; co" in html
    assert "no images" in html


def test_save_writes_a_self_contained_page(result: Result, tmp_path: Path) -> None:
    view = show(result, title="Run <1>")
    path = view.save(tmp_path / "out" / "view.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<title>Run &lt;1&gt;</title>" in text
    assert view.html in text
    assert_thumbnails(text, 2)
    assert path.stat().st_size < 300_000
    assert isinstance(view, HTMLView) and "Run <1>" in repr(view)
