"""The embedded server over real HTTP: paths, auth, status codes, error bodies, image effects."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from phota_widgets.local import LocalServer

KEY = "sk-planted-SECRET-1234567890"


@pytest.fixture
def http(server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, headers={"X-API-Key": KEY}, timeout=60) as c:
        yield c


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def decode(body: dict[str, Any], i: int = 0) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(body["images"][i])))


def test_auth_missing_403_wrong_401_and_request_ids(server: LocalServer) -> None:
    with httpx.Client(base_url=server.base_url) as anon:
        missing = anon.post("/generate", json={"prompt": "x"})
        wrong = anon.post("/generate", json={"prompt": "x"}, headers={"X-API-Key": "nope"})
    assert missing.status_code == 403 and wrong.status_code == 401
    for r in (missing, wrong):
        assert r.headers["X-Request-Id"] == r.json()["request_id"]
        assert isinstance(r.json()["detail"], str)
    assert "local stand-in" in missing.headers["X-Phota-Local"]


def test_generate_sizes_formats_and_variations(http: httpx.Client) -> None:
    cases = [
        ("16:9", "1K", (1024, 576)),
        ("9:16", "2K", (1152, 2048)),
        ("1:1", "1K", (1024, 1024)),
        ("3:4", "1K", (768, 1024)),
        ("4:3", "1K", (1024, 768)),
    ]
    for aspect, res, size in cases:
        r = http.post(
            "/generate",
            json={
                "prompt": "a blue lake",
                "aspect_ratio": aspect,
                "resolution": res,
                "output_format": "png",
            },
        )
        assert r.status_code == 200, r.text
        img = decode(r.json())
        assert img.size == size and img.format == "PNG"
    r = http.post("/generate", json={"prompt": "a forest at sunset", "num_output_images": 3})
    body = r.json()
    assert len(body["images"]) == 3 and body["download_urls"] == []
    assert len(set(body["images"])) == 3  # visibly different variations
    again = http.post("/generate", json={"prompt": "a forest at sunset", "num_output_images": 3})
    assert again.json()["images"] == body["images"]  # deterministic
    assert "scene:" in r.headers["X-Phota-Local-Notes"]


def test_edit_applies_operations_and_reports_what_it_did_not_understand(
    http: httpx.Client, data_dir: Path
) -> None:
    r = http.post(
        "/edit",
        json={
            "images": [b64(data_dir / "coffee.jpg")],
            "prompt": "black and white, crop to 16:9, and add a dragon",
        },
    )
    assert r.status_code == 200, r.text
    img = np.asarray(decode(r.json()).convert("RGB")).astype(int)
    height, width = img.shape[:2]
    assert abs(width / height - 16 / 9) < 0.01
    assert (
        np.abs(img[..., 0] - img[..., 1]).max() <= 3
        and np.abs(img[..., 1] - img[..., 2]).max() <= 3
    )
    assert 'not understood: "add a dragon"' in r.headers["X-Phota-Local-Notes"]


def test_enhance_and_remix_keep_aspect_at_2k(http: httpx.Client, data_dir: Path) -> None:
    r = http.post("/enhance", json={"image": b64(data_dir / "rocket.jpg")})
    assert decode(r.json()).size == (2048, 1366) or decode(r.json()).size == (2048, 1367)
    r = http.post(
        "/remix",
        json={
            "input_image": b64(data_dir / "chelsea.jpg"),
            "reference_image": b64(data_dir / "coffee.jpg"),
        },
    )
    w, h = decode(r.json()).size
    assert max(w, h) == 2048 and abs(w / h - 451 / 300) < 0.01


def test_urls_mode_serves_downloads_that_expire(
    server: LocalServer, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = http.post("/generate", json={"prompt": "x", "response_mode": "urls"})
    body = r.json()
    assert body["images"] == [] and len(body["download_urls"]) == 1
    url = body["download_urls"][0]
    with httpx.Client() as anon:  # signed links need no key
        assert anon.get(url).content[:3] == b"\xff\xd8\xff"
        monkeypatch.setattr(server.state.downloads, "ttl", -1.0)
        late = http.post("/generate", json={"prompt": "y", "response_mode": "urls"}).json()
        expired = anon.get(late["download_urls"][0])
    assert expired.status_code == 404 and expired.json()["code"] == "DOWNLOAD_EXPIRED"


UNSUPPORTED = [
    {"prompt": "x", "base_model": "reve", "resolution": "2K"},
    {"prompt": "x", "quality": "high"},
    {"prompt": "x", "async": True},
    {"prompt": "x", "callback_url": "https://a.test"},
    {"prompt": "x", "async": True, "response_mode": "urls", "callback_url": "http://a.test"},
]


@pytest.mark.parametrize("body", UNSUPPORTED)
def test_unsupported_options_are_400_with_code(http: httpx.Client, body: dict[str, Any]) -> None:
    r = http.post("/generate", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "UNSUPPORTED_OPTION" and r.json()["request_id"]


SHAPE_ERRORS: list[tuple[str, Any]] = [
    ("/generate", {}),
    ("/generate", {"prompt": ""}),
    ("/generate", {"prompt": 5}),
    ("/generate", {"prompt": "x", "num_output_images": 5}),
    ("/generate", {"prompt": "x", "aspect_ratio": "2:1"}),
    ("/generate", {"prompt": "x", "images": ["abc"]}),
    ("/generate", {"prompt": "x", "profile_ids": ["p"]}),
    ("/generate", [1, 2]),
    ("/edit", {"prompt": "x", "images": []}),
    ("/edit", {"prompt": "x", "images": ["a"] * 11}),
    ("/edit", {"prompt": "x", "images": "abc"}),
    ("/enhance", {"image": None}),
    ("/remix", {"input_image": "abc"}),
    ("/profiles/add", {"image_urls": "https://a"}),
]


@pytest.mark.parametrize(("path", "body"), SHAPE_ERRORS)
def test_shape_errors_are_422_in_fastapi_shape(http: httpx.Client, path: str, body: Any) -> None:
    r = http.post(path, json=body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, list) and detail[0]["loc"][0] == "body"
    assert {"loc", "msg", "type"} <= set(detail[0])


def test_bad_json_and_bad_images_are_4xx_never_500(http: httpx.Client, data_dir: Path) -> None:
    raw = (data_dir / "coffee.jpg").read_bytes()
    bad_images = [
        "not base64 !!!",
        base64.b64encode(b"plain text, not an image").decode(),
        base64.b64encode(raw[: len(raw) // 4]).decode(),
        base64.b64encode(_huge_png_header()).decode(),
        "https://example.com/cat.jpg",
    ]
    for value in bad_images:
        r = http.post("/enhance", json={"image": value})
        assert r.status_code == 400, (value[:30], r.status_code, r.text)
        assert r.json()["code"] in ("INVALID_IMAGE", "IMAGE_FETCH_FAILED")
    r = http.post("/generate", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid"
    assert http.get("/jobs/nope").status_code == 404
    assert http.get("/profiles/nope/status").status_code == 404


def test_profiles_referenced_must_exist_and_be_ready(http: httpx.Client, data_dir: Path) -> None:
    r = http.post("/generate", json={"prompt": "portrait of [[ghost]]"})
    assert r.status_code == 404 and r.json()["code"] == "PROFILE_NOT_FOUND"
    r = http.post(
        "/enhance", json={"image": b64(data_dir / "astronaut.jpg"), "profile_ids": ["ghost"]}
    )
    assert r.status_code == 404


def _huge_png_header() -> bytes:
    """A valid PNG signature and header claiming 100000 x 100000 pixels."""
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    crc = struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + crc


FUZZ: list[tuple[str, Any]] = [
    ("/edit", {"images": ["http://[::1"], "prompt": "x"}),
    ("/edit", {"images": ["http://127.0.0.1:99999/x"], "prompt": "x"}),
    ("/enhance", {"image": {"nested": "object"}}),
    ("/generate", {"prompt": "x", "num_output_images": True}),
    ("/generate", {"prompt": "x", "num_output_images": "2"}),
    ("/generate", {"prompt": "x", "async": "yes", "response_mode": "urls"}),
    ("/generate", {"prompt": "x", "num_output_images": 10**30}),
    ("/profiles/add", {"image_urls": ["http://[::1"] * 5, "training_tier": "fast"}),
    (
        "/generate",
        {"prompt": "x", "callback_url": "http://[::1", "async": True, "response_mode": "urls"},
    ),
]


@pytest.mark.parametrize(("path", "body"), FUZZ)
def test_odd_input_is_a_4xx_never_a_500(http: httpx.Client, path: str, body: Any) -> None:
    r = http.post(path, json=body)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)


def test_absurd_prompts_are_bounded(http: httpx.Client, data_dir: Path) -> None:
    image = b64(data_dir / "chelsea.jpg")
    for prompt in (
        "darker by 100000%",
        "rotate " + "9" * 400 + " degrees",
        "extend to 1:999",
        "extend to 999:1",
        "zoom out 1000x",
    ):
        r = http.post("/edit", json={"images": [image], "prompt": prompt})
        assert r.status_code == 200, (prompt, r.text)
        assert max(decode(r.json()).size) <= 1024


def test_unusual_unicode_in_a_prompt_is_fine(http: httpx.Client) -> None:
    r = http.post("/generate", json={"prompt": "\u202e\x00 emoji 🙂 ünïcödé"})
    assert r.status_code == 200, r.text


def test_deeply_nested_json_is_a_422(http: httpx.Client) -> None:
    r = http.post(
        "/generate",
        content=b"[" * 100_000 + b"]" * 100_000,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422


def test_an_internal_error_answers_500_and_keeps_the_connection(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from phota_widgets.local import render

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    with monkeypatch.context() as patched:
        patched.setattr(render, "render", broken)
        r = http.post("/generate", json={"prompt": "x"})
    assert r.status_code == 500 and r.json()["code"] == "INTERNAL"
    assert r.json()["request_id"] == r.headers["X-Request-Id"] and "boom" not in r.text
    for _ in range(5):  # the same keep-alive connection still serves
        assert http.post("/generate", json={"prompt": "x"}).status_code == 200


def test_server_state_repr_holds_no_secret(server: LocalServer) -> None:
    text = repr(server.state) + repr(server)
    assert KEY not in text and server.state.webhook_secret not in text
