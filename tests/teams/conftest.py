"""Fixtures of the teams tests: a real PostgreSQL, an S3-compatible server and MLflow."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from teams_services import (
    S3_KEYS,
    Postgres,
    Service,
    SharedStore,
    start_mlflow,
    start_moto,
)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    server = Postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[Service]:
    server = start_moto()
    yield server
    server.stop()


_early: dict[str, Service] = {}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start MLflow's server (slow to start) now, in the background, if a test will need it.

    Not under xdist: every worker collects every test, and only the one given the teams group
    needs the server (its fixture starts it there).
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if any("mlflow_server" in getattr(item, "fixturenames", ()) for item in items):
        _early["mlflow"] = start_mlflow(wait=False)


def pytest_sessionfinish() -> None:
    """Stop a server started early that no test ended up using (e.g. deselected)."""
    for server in _early.values():
        server.stop()
    _early.clear()


@pytest.fixture(scope="session")
def mlflow_server() -> Iterator[Service]:
    server = _early.pop("mlflow", None) or start_mlflow(wait=False)
    try:
        yield server.wait()
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres: Postgres) -> str:
    """A fresh, empty PostgreSQL database for this test."""
    return postgres.new_database()


@pytest.fixture
def s3_options(s3_server: Service) -> dict[str, Any]:
    """fsspec storage options that reach the test S3 server."""
    return {**S3_KEYS, "endpoint_url": s3_server.url}


@pytest.fixture
def s3_url(s3_options: dict[str, Any]) -> str:
    """A fresh bucket (with a prefix) on the test S3 server."""
    import s3fs

    bucket = f"phota-{uuid.uuid4().hex[:12]}"
    s3fs.S3FileSystem(**s3_options).mkdir(bucket)
    return f"s3://{bucket}/team-runs"


@pytest.fixture
def shared(pg_url: str, s3_url: str, s3_options: dict[str, Any]) -> SharedStore:
    """A team store: index in PostgreSQL, files in S3."""
    return SharedStore(pg_url, s3_url, s3_options)
