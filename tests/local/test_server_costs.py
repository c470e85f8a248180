"""Processing time apart from latency, outputs encoded as drawn, downloads bounded in bytes."""

from __future__ import annotations

import time

import pytest
from PIL import Image

import phota_widgets as pw
from phota_widgets.api.models import GenerateRequest
from phota_widgets.local import LocalServer, TrainingDurations, engine, render, scene
from phota_widgets.local.jobs import DownloadStore
from phota_widgets.local.profiles import ProfileRegistry


def test_processing_time_is_paid_once_per_job_sync_and_async() -> None:
    with (
        LocalServer(api_key="k", processing=0.5) as srv,
        pw.PhotaClient(api_key="k", base_url=srv.base_url) as client,
    ):
        started = time.perf_counter()
        client.generate("a barn")
        assert time.perf_counter() - started >= 0.5
        started = time.perf_counter()
        client.submit("generate", prompt="a barn").wait()
        assert time.perf_counter() - started >= 0.5


def test_processing_time_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="processing"):
        LocalServer(processing=-1)


def test_each_output_is_encoded_before_the_next_is_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events: list[str] = []
    draw, encode = scene.generate, engine.encode

    def drawing(*args: object, **kwargs: object) -> Image.Image:
        events.append("draw")
        return draw(*args, **kwargs)  # type: ignore[arg-type]

    def encoding(img: Image.Image, fmt: str) -> bytes:
        events.append("encode")
        return encode(img, fmt)

    monkeypatch.setattr(scene, "generate", drawing)
    monkeypatch.setattr(engine, "encode", encoding)
    request = GenerateRequest(prompt="a lake", num_output_images=3)
    rendered = render.render(request, [], ProfileRegistry(TrainingDurations()))
    assert len(rendered.images) == 3
    assert events == ["draw", "encode"] * 3


def test_download_store_is_bounded_by_bytes() -> None:
    store = DownloadStore(max_bytes=100)
    first = store.put(b"a" * 60, "jpg")
    second = store.put(b"b" * 30, "jpg")
    third = store.put(b"c" * 50, "jpg")  # needs room: the oldest goes
    assert store.get(first) is None
    assert store.get(second) is not None and store.get(third) is not None
    assert store.size == 80 and len(store) == 2
    big = store.put(b"d" * 150, "png")  # larger than the bound: kept alone
    assert store.get(big) is not None and len(store) == 1


def test_render_slots_default_to_the_cores() -> None:
    import os

    with LocalServer(api_key="k") as srv:
        assert srv.state.render_slots == (os.cpu_count() or 1)
