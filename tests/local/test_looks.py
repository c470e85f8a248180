"""Offline, variants differ as they would for real (issue 16.6).

Each base model has its own look and each call its own variation, seeded by the request: the
same request draws the same bytes, a repeat (another ``client_request_id``) another picture,
and a re-collected job the bytes it first gave.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import phota_widgets as pw
from phota_widgets.local import LocalServer
from phota_widgets.local.looks import LOOKS

KEY = "sk-looks-key"
PROMPT = "a red fox in a snowy forest at sunset"
SETTINGS = {"aspect_ratio": "1:1", "resolution": "1K", "output_format": "png"}
MODELS = sorted(LOOKS)


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB").resize((256, 256)), dtype=np.float64)


def mean_difference(a: bytes, b: bytes) -> float:
    """Mean absolute difference of two images' pixels (0..255), at a common small size."""
    return float(np.abs(_pixels(a) - _pixels(b)).mean())


@pytest.fixture(scope="module")
def client() -> pw.PhotaClient:
    with LocalServer(api_key=KEY) as srv, pw.PhotaClient(api_key=KEY, base_url=srv.base_url) as c:
        yield c


def _job_image(client: pw.PhotaClient, key: str, **params: object) -> bytes:
    job = client.submit("generate", prompt=PROMPT, client_request_id=key, **SETTINGS, **params)
    return job.wait().images[0].data


def test_each_base_model_has_its_own_look(client: pw.PhotaClient) -> None:
    images = {m: _job_image(client, f"model-{m}", base_model=m) for m in MODELS}
    for a, b in itertools.combinations(MODELS, 2):
        assert mean_difference(images[a], images[b]) > 8.0, (a, b)


def test_repeats_differ(client: pw.PhotaClient) -> None:
    for model in MODELS:
        first = _job_image(client, f"repeat-1-{model}", base_model=model)
        second = _job_image(client, f"repeat-2-{model}", base_model=model)
        assert first != second
        assert mean_difference(first, second) > 3.0, model


def test_the_same_request_draws_the_same_bytes(client: pw.PhotaClient) -> None:
    for model in ("nb2", "reve"):
        a = client.generate(PROMPT, base_model=model, **SETTINGS).images[0].data
        b = client.generate(PROMPT, base_model=model, **SETTINGS).images[0].data
        assert a == b


def test_the_same_request_on_another_server_draws_the_same_bytes(client: pw.PhotaClient) -> None:
    here = _job_image(client, "same-everywhere", base_model="qwen-image-2")
    with (
        LocalServer(api_key=KEY) as other,
        pw.PhotaClient(api_key=KEY, base_url=other.base_url) as elsewhere,
    ):
        assert _job_image(elsewhere, "same-everywhere", base_model="qwen-image-2") == here


def test_a_recollected_job_gives_the_same_bytes(client: pw.PhotaClient) -> None:
    first = _job_image(client, "collect-me", base_model="flux-2")
    again = _job_image(client, "collect-me", base_model="flux-2")  # same key: same job
    assert again == first


def test_edit_repeats_differ_but_keep_the_edit(client: pw.PhotaClient, data_dir: Path) -> None:
    photo = data_dir / "chelsea.jpg"
    params = {"images": [photo], "output_format": "png", "aspect_ratio": "1:1"}
    a = client.submit("edit", prompt="black and white", client_request_id="e1", **params)
    b = client.submit("edit", prompt="black and white", client_request_id="e2", **params)
    first, second = a.wait().images[0].data, b.wait().images[0].data
    assert first != second and mean_difference(first, second) > 1.0
    pixels = _pixels(first)
    assert np.abs(pixels[..., 0] - pixels[..., 2]).mean() < 2.0  # still black and white


def test_an_offline_sweep_over_models_and_repeats_gives_distinct_pictures(
    tmp_path: Path,
) -> None:
    with (
        LocalServer(api_key=KEY) as srv,
        pw.Session(api_key=KEY, base_url=srv.base_url, output_dir=tmp_path) as s,
    ):
        result = s.sweep(
            "generate",
            prompts=[PROMPT],
            base_model=["nb2", "flux-2", "reve"],
            repeats=2,
            resolution="1K",
            progress=False,
        )
        table = result.to_dataframe()
        assert len(table) == 6
        hashes = {o.sha256 for r in s.store.runs() for o in r.outputs}
        assert len(hashes) == 6  # no two cells drew the same picture
