"""Images carry what made them: saved and downloaded outputs embed their prompt and settings."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

import phota_widgets as pw
from phota_widgets.api.provenance import (
    OFFLINE_SERVER,
    ImageSettings,
    embed_settings,
    read_settings,
)
from phota_widgets.local import LocalServer
from phota_widgets.widgets.download import zip_outputs

PLANTED_KEY = "sk-planted-SECRET-1234567890"


@pytest.fixture
def session(server: LocalServer, tmp_path: Path) -> Iterator[pw.Session]:
    with pw.Session(api_key=PLANTED_KEY, base_url=server.base_url, output_dir=tmp_path) as s:
        yield s


def _pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        return img.convert("RGB").tobytes()


@pytest.mark.parametrize("output_format", ["png", "jpg"])
def test_a_saved_output_reads_back_its_prompt_and_settings(
    session: pw.Session, tmp_path: Path, output_format: str
) -> None:
    prompt = "a lighthouse, at dusk — «warm» light, 灯台"
    result = session.generate(
        prompt, aspect_ratio="16:9", num_output_images=2, output_format=output_format
    )
    paths = result.save(tmp_path / "saved")
    settings = pw.read_settings(paths[1])  # the public name
    assert settings is not None
    assert settings.endpoint == "generate" and settings.prompt == prompt
    assert settings.params["aspect_ratio"] == "16:9"
    assert settings.params["num_output_images"] == 2
    assert settings.run_id == result.run_id and settings.index == 1
    saved = paths[1].read_bytes()
    assert PLANTED_KEY not in saved.decode("latin-1")
    # the pixels are the ones received (nothing re-encoded) ...
    assert _pixels(saved) == _pixels(result.images[1].data)
    # ... and the run store keeps the bytes exactly as received (hash-addressed)
    record = session.store.get(result.run_id or "")
    stored = record.outputs[1].path.read_bytes()
    assert stored == result.images[1].data and stored != saved
    assert read_settings(stored) is None


def test_the_a1111_parameters_text_is_there_for_other_tools(
    session: pw.Session, tmp_path: Path
) -> None:
    result = session.generate("red kite, over hills", output_format="png")
    with Image.open(io.BytesIO(result.images[0].tagged_data())) as img:
        text = img.text["parameters"]  # type: ignore[attr-defined]
    prompt, settings_line = text.rsplit("\n", 1)
    assert prompt == "red kite, over hills"
    assert settings_line.startswith("Endpoint: generate, ")
    assert "Generator: phota-widgets" in settings_line


def test_a_jpeg_carries_a1111_usercomment_and_exact_record(
    session: pw.Session, tmp_path: Path
) -> None:
    result = session.generate("snowy owl", output_format="jpg")
    tagged = result.images[0].tagged_data()
    with Image.open(io.BytesIO(tagged)) as img:
        exif = img.getexif()
    comment = exif.get_ifd(0x8769)[0x9286]
    assert comment.startswith(b"UNICODE\x00")
    assert "snowy owl" in comment[8:].decode("utf-16-be")
    assert exif[0x0131] == "phota-widgets"
    # embedding twice replaces, never stacks, the settings
    again = embed_settings(tagged, ImageSettings("edit", {"prompt": "second"}))
    assert again.count(b"Exif\x00\x00") == 1
    found = read_settings(again)
    assert found is not None and found.prompt == "second" and found.endpoint == "edit"


def test_downloads_carry_settings_and_inputs_and_keys_are_left_out(
    session: pw.Session, data_dir: Path
) -> None:
    result = session.edit("make it warmer", [data_dir / "chelsea.jpg"], num_output_images=2)
    archive = zipfile.ZipFile(io.BytesIO(zip_outputs("run", result.images)))
    names = archive.namelist()
    assert len(names) == 2
    for name in names:
        data = archive.read(name)
        settings = read_settings(data)
        assert settings is not None and settings.prompt == "make it warmer"
        assert "images" not in settings.params and settings.inputs == 1
        assert "sha256" not in settings.infotext()


def test_settings_never_carry_a_key_or_transport_field() -> None:
    settings = ImageSettings.of_call(
        "generate",
        {
            "prompt": "p",
            "api_key": PLANTED_KEY,
            "callback_url": "https://example.test/hook?token=abc",
            "client_request_id": "r1",
            "images": [b"raw"],
        },
    )
    assert settings.params == {"prompt": "p"} and settings.inputs == 1
    text = settings.infotext() + settings.to_json()
    assert PLANTED_KEY not in text and "token" not in text


def test_a_reopened_run_of_the_offline_server_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHOTA_API_KEY", raising=False)
    with pw.Session(output_dir=tmp_path) as s:
        result = s.generate("a green field")
        reopened = s.result(result.run_id or "")
    for image in (result.images[0], reopened.images[0]):
        settings = read_settings(image.tagged_data())
        assert settings is not None and settings.server == OFFLINE_SERVER
        assert f"Server: {OFFLINE_SERVER}" in settings.infotext()


def test_not_an_image_or_no_settings_reads_as_none(data_dir: Path) -> None:
    assert read_settings(b"not an image") is None
    assert read_settings(data_dir / "coffee.jpg") is None


def test_a_prompt_too_long_for_a_jpeg_segment_keeps_the_exact_record() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "teal").save(buffer, "JPEG")
    prompt = "a very long prompt " * 2000  # ~38k characters: 76 kB as UTF-16, too big for EXIF
    tagged = embed_settings(buffer.getvalue(), ImageSettings("generate", {"prompt": prompt}))
    found = read_settings(tagged)
    assert found is not None and found.prompt == prompt
    assert _pixels(tagged) == _pixels(buffer.getvalue())


def test_a_jpeg_with_exif_before_jfif_gets_one_exif_segment() -> None:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 1  # orientation: kept
    Image.new("RGB", (16, 16), "olive").save(buffer, "JPEG", exif=exif)
    original = buffer.getvalue()
    tagged = embed_settings(original, ImageSettings("generate", {"prompt": "olive"}))
    assert tagged.count(b"Exif\x00\x00") == 1
    with Image.open(io.BytesIO(tagged)) as img:
        assert img.getexif()[0x0112] == 1
    found = read_settings(tagged)
    assert found is not None and found.prompt == "olive"
