"""Embedded server defects found by attacking it (issue 7): route arguments, URL fetching, logs."""

from __future__ import annotations

import base64
import logging
import socket
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from phota_widgets.local import LocalServer

KEY = "sk-planted-SECRET-1234567890"


@pytest.fixture
def http(server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, headers={"X-API-Key": KEY}, timeout=60) as c:
        yield c


def test_no_internal_route_argument_leaks_as_a_query_parameter(http: httpx.Client) -> None:
    body = {"prompt": "a red boat", "response_mode": "urls"}
    as_edit = http.post("/generate", params={"_name": "edit"}, json=body)
    assert as_edit.status_code == 200  # still generate: edit would have refused a missing image
    assert http.post("/generate", params={"_name": "x"}, json=body).status_code == 200
    spec = httpx.get(http.base_url.copy_with(path="/openapi.json"), timeout=30).json()
    assert "_name" not in str(spec)


def test_openapi_describes_the_real_request_bodies(server: LocalServer) -> None:
    spec = httpx.get(server.base_url.replace("/v1/phota", "/openapi.json"), timeout=30).json()
    schemas = spec["components"]["schemas"]
    for path, model in (("generate", "GenerateRequest"), ("edit", "EditRequest")):
        body = spec["paths"][f"/v1/phota/{path}"]["post"]["requestBody"]
        assert body["content"]["application/json"]["schema"]["$ref"].endswith(model)
        assert "prompt" in schemas[model]["properties"]
    assert "images" in schemas["EditRequest"]["required"]


def test_image_urls_are_fetched_only_from_the_server_itself(
    http: httpx.Client, server: LocalServer, data_dir: Path
) -> None:
    with socket.socket() as other:  # some other local service
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        port = other.getsockname()[1]
        refused = http.post(
            "/enhance", json={"image": f"http://127.0.0.1:{port}/admin", "response_mode": "urls"}
        )
        assert refused.status_code == 400 and refused.json()["code"] == "IMAGE_FETCH_FAILED"
        private = http.post("/enhance", json={"image": "http://10.0.0.1/x.jpg"})
        assert private.status_code == 400
    photo = base64.b64encode((data_dir / "coffee.jpg").read_bytes()).decode()
    made = http.post("/enhance", json={"image": photo, "response_mode": "urls"})
    own_url = made.json()["download_urls"][0]
    again = http.post("/enhance", json={"image": own_url, "response_mode": "urls"})
    assert again.status_code == 200  # its own download links are fine


def test_binding_beyond_loopback_warns() -> None:
    with pytest.warns(UserWarning, match="not loopback"), LocalServer(host="0.0.0.0") as srv:
        assert srv.running
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with LocalServer() as quiet:
            assert quiet.running


def test_a_client_that_disconnects_mid_request_is_not_an_internal_error(
    server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    assert server.port is not None
    with caplog.at_level(logging.INFO, logger="phota_widgets.local"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            raw.sendall(
                b"POST /v1/phota/generate HTTP/1.1\r\nHost: x\r\nX-API-Key: "
                + KEY.encode()
                + b'\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"pro'
            )
        deadline = time.monotonic() + 30
        while not any("disconnected" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "the server never noticed the disconnect"
            time.sleep(0.02)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
