"""Every documented rule refuses a bad request before any network traffic."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

import phota_widgets as pw
from phota_widgets.api.models import (
    MODEL_RESOLUTIONS,
    EditRequest,
    GenerateRequest,
    ImageModel,
    ProfileAddRequest,
    Resolution,
    profile_tokens,
)


class NoNetwork:
    """A transport that fails the test if anything is sent."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        raise AssertionError(f"unexpected request {request.method} {request.url}")


@pytest.fixture
def offline() -> tuple[pw.PhotaClient, NoNetwork]:
    guard = NoNetwork()
    http = httpx.AsyncClient(transport=httpx.MockTransport(guard))
    client = pw.PhotaClient(
        async_client=pw.AsyncPhotaClient("key", "https://example.test/v1/phota", http_client=http)
    )
    return client, guard


def refused(call: Any, *args: Any, match: str, **kwargs: Any) -> None:
    """Refused before sending; ``match`` is found in the sentence or the field names kept."""
    with pytest.raises(pw.InvalidRequestError) as info:
        call(*args, **kwargs)
    exc = info.value
    problems = getattr(exc, "problems", [])
    said = " ".join([str(exc), *(f"{p.field} {p.detail}" for p in problems)])
    assert re.search(match, said), said


def test_generate_rules(offline: tuple[pw.PhotaClient, NoNetwork]) -> None:
    c, guard = offline
    refused(c.generate, "", match="prompt")
    refused(c.generate, "   ", match="prompt")
    refused(c.generate, "x", num_output_images=0, match="num_output_images")
    refused(c.generate, "x", num_output_images=5, match="num_output_images")
    refused(c.generate, "x", aspect_ratio="2:1", match="aspect_ratio")
    refused(c.generate, "x", resolution="8K", match="resolution")
    refused(c.generate, "x", base_model="dalle", match="base_model")
    refused(c.generate, "x", output_format="gif", match="output_format")
    refused(c.generate, "x", base_model="reve", resolution="2K", match="reve")
    refused(c.generate, "x", base_model="flux-2", resolution="4K", match="flux-2")
    refused(c.generate, "x", base_model="qwen-image-2", resolution="4K", match="qwen-image-2")
    refused(c.generate, "x", quality="high", match="quality is only available with")
    refused(c.generate, "x", base_model="gpt-image-2", quality="ultra", match="quality")
    refused(c.run, "generate", {"prompt": "x", "profile_ids": ["p1"]}, match="profile_ids")
    refused(c.run, "generate", {"prompt": "x", "images": ["abc"]}, match="images")
    refused(c.run, "paint", {"prompt": "x"}, match="unknown endpoint")
    assert guard.calls == 0


def test_edit_enhance_remix_rules(
    offline: tuple[pw.PhotaClient, NoNetwork], data_dir: Path
) -> None:
    c, guard = offline
    photo = data_dir / "chelsea.jpg"
    refused(c.edit, "x", [], match="images")
    refused(c.edit, "x", [photo] * 11, match="images")
    refused(c.edit, "", [photo], match="prompt")
    refused(c.edit, "x", [photo], aspect_ratio="5:4", match="aspect_ratio")
    refused(c.edit, "x", data_dir / "missing.jpg", match="no such file")
    refused(c.edit, "x", b"not an image at all", match="not a readable image")
    refused(c.enhance, photo, num_output_images=9, match="num_output_images")
    refused(c.run, "enhance", {"image": photo, "aspect_ratio": "1:1"}, match="aspect_ratio")
    refused(c.run, "remix", {"input_image": photo}, match="reference_image")
    refused(
        c.run,
        "remix",
        {"input_image": photo, "reference_image": photo, "base_model": "nb2"},
        match="base_model",
    )
    assert guard.calls == 0


def test_async_and_callback_rules(offline: tuple[pw.PhotaClient, NoNetwork]) -> None:
    c, guard = offline
    refused(c.run, "generate", {"prompt": "x", "async_": True}, match="response_mode='urls'")
    refused(
        c.run,
        "generate",
        {"prompt": "x", "callback_url": "https://a.test/cb"},
        match="only allowed with async",
    )
    refused(c.submit, "generate", prompt="x", callback_url="http://a.test/cb", match="https")
    refused(c.submit, "generate", prompt="x", client_request_id="", match="client_request_id")
    assert guard.calls == 0


def test_profile_add_rules(offline: tuple[pw.PhotaClient, NoNetwork]) -> None:
    c, guard = offline
    urls = [f"https://img.test/{i}.jpg" for i in range(60)]
    refused(
        c.profiles.add,
        urls[:9],
        match="standard profile is trained from 10 to 50 photos of one person; 9 were given",
    )
    refused(c.profiles.add, urls[:51], match="standard profile is trained from 10 to 50 photos")
    refused(
        c.profiles.add, urls[:4], training_tier="fast", match="fast profile is trained from 5 to 10"
    )
    refused(
        c.profiles.add,
        urls[:11],
        training_tier="fast",
        match="fast profile is trained from 5 to 10",
    )
    refused(c.profiles.add, urls[:10], tag="", match="tag")
    refused(c.profiles.add, urls[:10], tag="x" * 129, match="tag")
    refused(c.profiles.add, urls[:10], training_tier="slow", match="training_tier")
    refused(c.profiles.add, ["/tmp/a.jpg"] * 10, match="public http")
    refused(c.profiles.status, "a/b", match="not a valid profile id")
    assert guard.calls == 0


def test_unknown_profile_tokens_refused_once_list_is_known(
    offline: tuple[pw.PhotaClient, NoNetwork],
) -> None:
    c, guard = offline
    c.aclient.known_profile_ids = frozenset({"p1"})
    refused(c.generate, "a photo of [[p2]]", match="unknown profile id")
    refused(c.run, "enhance", {"image": b"x", "profile_ids": ["zz"]}, match="not a readable")
    assert guard.calls == 0


def test_every_model_resolution_pair_is_decided_by_the_table() -> None:
    for model in ImageModel:
        for res in Resolution:
            ok = res in MODEL_RESOLUTIONS[model]
            try:
                GenerateRequest(prompt="x", base_model=model, resolution=res)
            except ValueError:
                assert not ok, (model, res)
            else:
                assert ok, (model, res)


def test_wire_body_always_sends_output_format_and_omits_unset() -> None:
    body = EditRequest(images=["QUJD"], prompt="hi").wire()
    assert body["output_format"] == "jpg"
    assert "async" not in body and "quality" not in body and "callback_url" not in body


def test_profile_tokens_and_inline_training_images() -> None:
    assert profile_tokens("[[a]] and [[b_2]] and [[a]] [[bad id]]") == ["a", "b_2"]
    inline = ["data:image/jpeg;base64,AAAA"] * 5
    with pytest.raises(ValueError, match="public http"):
        ProfileAddRequest(image_urls=inline, training_tier="fast")
    ok = ProfileAddRequest.model_validate(
        {"image_urls": inline, "training_tier": "fast"},
        context={"allow_inline_training_images": True},
    )
    assert len(ok.image_urls) == 5


def test_images_in(tmp_path: Path, data_dir: Path) -> None:
    import numpy as np

    from phota_widgets.api.images import to_wire

    raw = (data_dir / "coffee.jpg").read_bytes()
    assert to_wire(data_dir / "coffee.jpg").data == raw  # sent as is
    assert to_wire(str(data_dir / "coffee.jpg")).value.startswith("/9j/")  # raw base64 of JPEG
    assert to_wire("https://img.test/a.jpg").value == "https://img.test/a.jpg"
    arr = np.zeros((20, 30, 3), dtype=np.float32)
    assert Image.open(_bytes(to_wire(arr))).size == (30, 20)
    big = Image.new("RGB", (5000, 2500), "red")
    assert Image.open(_bytes(to_wire(big))).size == (4096, 2048)
    rotated = Image.new("RGB", (40, 20), "blue")
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    rotated.save(path, exif=exif)
    assert Image.open(_bytes(to_wire(path))).size == (20, 40)
    gif = tmp_path / "a.gif"
    Image.new("P", (8, 8)).save(gif)
    assert Image.open(_bytes(to_wire(gif))).format in ("PNG", "JPEG")
    with pytest.raises(pw.InvalidRequestError, match="shape"):
        to_wire(np.zeros((2, 2, 2, 2)))
    with pytest.raises(pw.InvalidRequestError, match="got int"):
        to_wire(42)  # type: ignore[arg-type]
    truncated = tmp_path / "t.jpg"
    truncated.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(pw.InvalidRequestError, match="corrupt or truncated"):
        to_wire(truncated)


def test_decompression_bomb_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from phota_widgets.api import images

    monkeypatch.setattr(images, "MAX_INPUT_PIXELS", 100)
    buf = io.BytesIO()
    Image.new("L", (20, 20)).save(buf, format="PNG")
    with pytest.raises(pw.InvalidRequestError, match="too large"):
        images.to_wire(buf.getvalue())


def _bytes(wire: Any) -> Any:
    import io

    assert wire.data is not None
    return io.BytesIO(wire.data)


def test_heic_is_sent_as_is_and_the_embedded_server_reads_it(server: object) -> None:
    import io

    pytest.importorskip("pillow_heif")
    from phota_widgets.api.images import to_wire

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buf, format="HEIF")
    wire = to_wire(buf.getvalue())
    assert wire.data == buf.getvalue() and "heif" in wire.description
    srv: Any = server
    with pw.PhotaClient(api_key=srv.api_key, base_url=srv.base_url) as client:
        result = client.enhance(buf.getvalue())
    assert result.images[0].image.size == (2048, 1536)
