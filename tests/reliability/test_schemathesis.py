"""Schemathesis against the embedded server's own /openapi.json: no 5xx, no hang."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from phota_widgets.local import LocalServer

KEY = "sk-schema-key"


@pytest.fixture(scope="module")
def live_server() -> Iterator[LocalServer]:
    with LocalServer(api_key=KEY) as server:
        yield server


@pytest.fixture(scope="module")
def api_schema(live_server: LocalServer) -> schemathesis.BaseSchema:
    root = live_server.base_url.removesuffix("/v1/phota")
    return schemathesis.openapi.from_url(f"{root}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@pytest.mark.timeout(400)  # bounds the whole attack; each call has its own 30 s limit
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_gets_a_5xx_or_hangs(case: schemathesis.Case) -> None:
    response = case.call(headers={"X-API-Key": KEY}, timeout=30)
    assert response.status_code < 500, f"{case.method} {case.path}: {response.text[:300]}"
    unauthenticated = case.call(headers={"X-API-Key": ""}, timeout=30)
    assert unauthenticated.status_code < 500
