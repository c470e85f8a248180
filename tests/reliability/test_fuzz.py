"""Fuzzing with hypothesis: every request is valid or refused before any traffic; bad images and
paths give InvalidRequestError, never a raw exception."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

import phota_widgets as pw
from phota_widgets.api.images import to_wire
from phota_widgets.api.models import REQUEST_MODELS
from phota_widgets.local.bodies import parse_body
from phota_widgets.local.state import APIFailure

FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _jpeg(size: tuple[int, int] = (24, 16)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "teal").save(buf, "JPEG")
    return buf.getvalue()


JPEG = _jpeg()
OK_BODY = {"images": [base64.b64encode(JPEG).decode()], "download_urls": []}

junk = st.one_of(st.none(), st.integers(-5, 10), st.text(max_size=12), st.booleans())
image_value = st.one_of(
    st.just(JPEG),
    st.binary(max_size=64),
    st.just("https://example.test/photo.jpg"),
    st.just("data:image/jpeg;base64,AAAA"),
    junk,
)
options = st.fixed_dictionaries(
    {},
    optional={
        "prompt": st.one_of(st.text(max_size=40), junk),
        "num_output_images": st.one_of(st.integers(-1, 6), junk),
        "aspect_ratio": st.one_of(st.sampled_from(["auto", "1:1", "16:9", "2:1", ""]), junk),
        "resolution": st.one_of(st.sampled_from(["1K", "2K", "4K", "8K"]), junk),
        "base_model": st.one_of(
            st.sampled_from(["nb2", "gpt-image-2", "reve", "flux-2", "dall-e"]), junk
        ),
        "quality": st.one_of(st.sampled_from(["auto", "high", "ultra"]), junk),
        "output_format": st.one_of(st.sampled_from(["jpg", "png", "gif"]), junk),
        "profile_ids": st.one_of(st.lists(st.text(max_size=8), max_size=3), junk),
        "images": st.one_of(st.lists(image_value, max_size=11), image_value),
        "image": image_value,
        "input_image": image_value,
        "reference_image": image_value,
        "surprise": junk,
    },
)


class Recorder:
    """A transport that answers every request with one image, recording what was sent."""

    def __init__(self) -> None:
        self.sent: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return httpx.Response(200, json=OK_BODY)


async def _send(endpoint: str, params: dict[str, Any], recorder: Recorder) -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    async with pw.AsyncPhotaClient("sk-fuzz", "https://api.test/v1/phota", http_client=http) as c:
        await c.run(endpoint, params)
    await http.aclose()


@FUZZ
@given(endpoint=st.sampled_from(sorted(REQUEST_MODELS)), params=options)
def test_every_request_is_valid_or_refused_before_any_traffic(
    endpoint: str, params: dict[str, Any]
) -> None:
    recorder = Recorder()
    try:
        asyncio.run(_send(endpoint, params, recorder))
    except pw.InvalidRequestError as exc:
        assert recorder.sent == [], "refused after traffic"
        assert str(exc)  # a message in the user's words
        return
    (request,) = recorder.sent
    body = request.read()
    try:  # what went out is what the server accepts
        parse_body(REQUEST_MODELS[endpoint], json.loads(body), {})
    except APIFailure as failure:  # pragma: no cover - the failure message is the evidence
        raise AssertionError(f"sent an invalid {endpoint} request: {failure.detail}") from None


arrays = hnp.arrays(
    dtype=st.sampled_from(
        [np.uint8, np.int32, np.float64, np.bool_, np.dtype("<U2"), np.complex64, np.uint16]
    ),
    shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5),
)
pil_images = st.builds(
    lambda mode, w, h: Image.new(mode, (w, h)),
    st.sampled_from(["1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "CMYK", "I", "F"]),
    st.integers(0, 6),
    st.integers(0, 6),
)


@FUZZ
@given(image=st.one_of(arrays, pil_images, st.binary(max_size=200), st.just(_jpeg((1, 1)))))
def test_bad_images_are_an_invalid_request_never_a_raw_error(image: Any) -> None:
    try:
        wire = to_wire(image)
    except pw.InvalidRequestError as exc:
        assert "image" in str(exc)
        return
    assert wire.data is not None and Image.open(io.BytesIO(wire.data)).size[0] > 0


@FUZZ
@given(
    name=st.text(min_size=1, max_size=30).filter(lambda n: "/" not in n and n not in (".", ".."))
)
def test_bad_paths_are_an_invalid_request(tmp_path_factory: Any, name: str) -> None:
    folder: Path = tmp_path_factory.mktemp("paths")
    (folder / "not-an-image.txt").write_text("hello")
    for candidate in (folder / name, folder, folder / "not-an-image.txt", str(folder) + "\x00"):
        try:
            to_wire(candidate)
        except pw.InvalidRequestError:
            continue
        raise AssertionError(f"{candidate!r} was accepted as an image")
