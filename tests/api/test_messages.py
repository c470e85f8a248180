"""Refusals read as sentences a person understands; the fields stay in the exception."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

import phota_widgets as pw
from phota_widgets.api.messages import RequestValidationError


@pytest.fixture
def client() -> pw.PhotaClient:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected request {request.url}")

    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    return pw.PhotaClient(
        async_client=pw.AsyncPhotaClient("key", "https://example.test/v1/phota", http_client=http)
    )


def said(call: Any, *args: Any, **kwargs: Any) -> RequestValidationError:
    with pytest.raises(RequestValidationError) as info:
        call(*args, **kwargs)
    return info.value


@pytest.mark.parametrize(
    ("endpoint", "params", "sentence", "fields"),
    [
        ("generate", {"prompt": ""}, "Write a prompt first.", ["prompt"]),
        ("generate", {}, "Write a prompt first.", ["prompt"]),
        ("enhance", {}, "Choose a photo to enhance.", ["image"]),
        ("edit", {"prompt": "x"}, "Choose at least one photo to edit.", ["images"]),
        ("edit", {"prompt": "x", "images": []}, "Choose at least one photo to edit.", ["images"]),
        (
            "remix",
            {},
            "Choose the photo to remix. Choose a reference photo (the look to apply).",
            ["input_image", "reference_image"],
        ),
        (
            "generate",
            {"prompt": "x", "num_output_images": 9},
            "Set the number of images to at most 4.",
            ["num_output_images"],
        ),
        (
            "generate",
            {"prompt": "x", "aspect_ratio": "7:3"},
            "Choose the aspect ratio from: auto, 1:1, 3:4, 4:3, 9:16 or 16:9.",
            ["aspect_ratio"],
        ),
        (
            "generate",
            {"prompt": "x", "foo": 1},
            "Generate has no 'foo' setting; remove it.",
            ["foo"],
        ),
    ],
)
def test_each_rule_is_a_sentence_and_keeps_its_field(
    client: pw.PhotaClient, endpoint: str, params: dict[str, Any], sentence: str, fields: list[str]
) -> None:
    exc = said(client.run, endpoint, params)
    assert str(exc) == sentence
    assert exc.fields == fields and exc.endpoint == endpoint
    assert all(p.detail and p.rule for p in exc.problems)  # the validator's words, for code
    assert isinstance(exc, pw.InvalidRequestError)  # still caught as before


def test_no_sentence_reads_like_the_validator(client: pw.PhotaClient, data_dir: Path) -> None:
    photo = data_dir / "chelsea.jpg"
    cases: list[tuple[str, dict[str, Any]]] = [
        ("generate", {"prompt": "", "resolution": "8K", "output_format": "gif"}),
        ("edit", {"prompt": "x", "images": [photo] * 11}),
        ("enhance", {"image": photo, "num_output_images": 0}),
        ("generate", {"prompt": "x", "quality": "high"}),
    ]
    for endpoint, params in cases:
        text = str(said(client.run, endpoint, params))
        for validator_words in ("Field required", "String should", "Input should", "List should"):
            assert validator_words not in text, text
        assert text[0].isupper() and text.endswith("."), text
