"""Rate limits of the embedded server: a job cap and a request rate per key, answered with 429."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

import phota_widgets as pw
from phota_widgets.local.limits import Limiter, Limits

PROMPT = {"prompt": "a red lighthouse", "resolution": "1K"}
ASYNC = {**PROMPT, "async": True, "response_mode": "urls"}


def _client(srv: pw.LocalServer, key: str | None = None) -> httpx.Client:
    return httpx.Client(
        base_url=srv.base_url, headers={"X-API-Key": key or srv.api_key}, timeout=30
    )


def _wait_job(http: httpx.Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body: dict[str, Any] = http.get(f"/jobs/{job_id}").json()
        if body["status"] in {"succeeded", "failed"}:
            return body
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")


def test_limits_refuse_nonsense() -> None:
    for bad in ({"max_jobs": 0}, {"requests_per_second": 0}, {"burst": 0.5}, {"retry_after": -1}):
        with pytest.raises(ValueError):
            Limits(**bad)
    assert not Limits().active


def test_job_cap_answers_429_with_retry_after_and_frees_slots() -> None:
    limits = Limits(max_jobs=2, retry_after=1)
    with pw.LocalServer(limits=limits, processing=0.5) as srv, _client(srv) as http:
        accepted = [http.post("/generate", json=ASYNC) for _ in range(2)]
        assert [r.status_code for r in accepted] == [202, 202]
        refused = http.post("/generate", json=ASYNC)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["code"] == "RATE_LIMITED"
        assert refused.headers["X-Request-Id"] == refused.json()["request_id"]
        # a sync call is a job too
        assert http.post("/generate", json=PROMPT).status_code == 429
        for r in accepted:
            assert _wait_job(http, r.json()["job_id"])["status"] == "succeeded"
        assert http.post("/generate", json=ASYNC).status_code == 202
        counts = srv.limit_counts
        assert counts.jobs == 3 and counts.jobs_refused == 2 and counts.most_jobs_at_once == 2


def test_resent_client_request_id_is_never_refused_for_the_cap() -> None:
    with pw.LocalServer(limits=Limits(max_jobs=1), processing=0.5) as srv, _client(srv) as http:
        body = {**ASYNC, "client_request_id": "cell-1"}
        first = http.post("/generate", json=body)
        again = http.post("/generate", json=body)
        assert first.status_code == again.status_code == 202
        assert first.json()["job_id"] == again.json()["job_id"]
        assert srv.limit_counts.jobs == 1


def test_job_cap_holds_under_concurrent_submits() -> None:
    with pw.LocalServer(limits=Limits(max_jobs=3), processing=0.3) as srv, _client(srv) as http:

        def call(_: int) -> int:
            return http.post("/generate", json=PROMPT).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(call, range(16)))
        assert set(codes) <= {200, 429} and 429 in codes and 200 in codes
        assert srv.limit_counts.most_jobs_at_once <= 3


def test_request_rate_per_key_counts_polls_not_downloads() -> None:
    limits = Limits(requests_per_second=5, burst=3)
    with pw.LocalServer(limits=limits) as srv, _client(srv) as http:
        sync = http.post("/generate", json={**PROMPT, "response_mode": "urls"})
        assert sync.status_code == 200
        url = sync.json()["download_urls"][0]
        codes = [http.get("/profiles/ids").status_code for _ in range(4)]
        assert codes.count(429) >= 1
        refused = next(
            r for r in (http.get("/profiles/ids") for _ in range(3)) if r.status_code == 429
        )
        assert 0 < float(refused.headers["Retry-After"]) <= 1
        for _ in range(5):  # downloads carry no key: never limited
            assert httpx.get(url, timeout=30).status_code == 200
        # another key has a bucket of its own (and is then refused as an invalid key)
        with _client(srv, key="someone-else") as other:
            assert other.get("/profiles/ids").status_code == 401


def test_request_bucket_refills_at_the_rate() -> None:
    now = [0.0]
    limiter = Limiter(Limits(requests_per_second=10, burst=2), clock=lambda: now[0])
    assert limiter.take_request("k") is None
    assert limiter.take_request("k") is None
    wait = limiter.take_request("k")
    assert wait == pytest.approx(0.1)
    now[0] += 0.1
    assert limiter.take_request("k") is None
    assert limiter.take_request("other") is None
    assert limiter.counts.requests == 5 and limiter.counts.requests_refused == 1


def test_the_client_rides_out_the_job_cap() -> None:
    """The client's own retries honour the 429's Retry-After: every call ends with images."""
    limits = Limits(max_jobs=1, retry_after=0.05)
    with pw.LocalServer(limits=limits, processing=0.1) as srv:
        client = pw.PhotaClient(api_key=srv.api_key, base_url=srv.base_url, max_retries=20)
        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(lambda _: client.generate("a cat"), range(3)))
        assert all(len(r.images) == 1 for r in results)
        assert srv.limit_counts.jobs_refused >= 1
        client.close()


def test_limits_are_in_the_public_names() -> None:
    assert pw.Limits is Limits
    assert "Limits" in pw.__all__
