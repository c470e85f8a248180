"""Profiles, jobs, callbacks, faults and the server's own lifetime."""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from PIL import Image

import phota_widgets as pw
from phota_widgets.local import Faults, LocalServer, TrainingDurations

KEY = "k-test"
FAST = TrainingDurations(0.1, 0.1, 0.1)


def data_uri(path: Path) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode()


def blank_png() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (200, 200), (128, 128, 128)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def client(srv: LocalServer, **kwargs: Any) -> httpx.Client:
    return httpx.Client(
        base_url=srv.base_url, headers={"X-API-Key": srv.api_key}, timeout=30, **kwargs
    )


def poll_until(http: httpx.Client, pid: str, wanted: set[str]) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status = http.get(f"/profiles/{pid}/status").json()["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in wanted:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"stuck at {seen}")


def test_profile_lifecycle_tags_picture_delete(data_dir: Path) -> None:
    with LocalServer(api_key=KEY, training=FAST) as srv, client(srv) as http:
        images = [data_uri(data_dir / "astronaut.jpg")] * 5
        r = http.post(
            "/profiles/add", json={"image_urls": images, "training_tier": "fast", "tag": "crew"}
        )
        pid = r.json()["profile_id"]
        seen = poll_until(http, pid, {"READY"})
        lifecycle = ["VALIDATING", "QUEUING", "IN_PROGRESS", "READY"]
        # in order, ending READY; a busy machine may poll too late to see a short early stage
        assert seen[-1] == "READY" and seen == [s for s in lifecycle if s in seen]
        other = http.post("/profiles/add", json={"image_urls": images * 2}).json()["profile_id"]
        listed = http.get("/profiles/ids", params={"tag": "crew"}).json()["profiles"]
        assert [p["profile_id"] for p in listed] == [pid]
        assert len(http.get("/profiles/ids").json()["profiles"]) == 2
        picture = Image.open(io.BytesIO(http.get(f"/profiles/{pid}/profile_picture").content))
        assert picture.format == "JPEG" and picture.size[0] == picture.size[1]
        gen = http.post(
            "/generate", json={"prompt": f"[[{pid}]] on the moon", "num_output_images": 2}
        )
        assert gen.json()["known_subjects"]["counts"] == {pid: 2}
        not_ready = http.post(
            "/profiles/add", json={"image_urls": images, "training_tier": "fast"}
        ).json()["profile_id"]
        r = http.post(
            "/enhance", json={"image": images[0].split(",")[1], "profile_ids": [not_ready]}
        )
        assert r.status_code == 400 and r.json()["code"] == "PROFILE_NOT_READY"
        assert http.delete(f"/profiles/{pid}").json() == {"profile_id": pid, "status": "ok"}
        assert http.get(f"/profiles/{pid}/status").status_code == 404
        assert http.delete(f"/profiles/{pid}").status_code == 404
        assert other in [p["profile_id"] for p in http.get("/profiles/ids").json()["profiles"]]


def test_blank_training_images_end_in_error_and_unreadable_ones_are_400() -> None:
    with LocalServer(api_key=KEY, training=FAST) as srv, client(srv) as http:
        pid = http.post(
            "/profiles/add", json={"image_urls": [blank_png()] * 5, "training_tier": "fast"}
        ).json()["profile_id"]
        assert poll_until(http, pid, {"ERROR", "READY"})[-1] == "ERROR"
        body = http.get(f"/profiles/{pid}/status").json()
        assert "no usable picture" in body["message"]
        r = http.post(
            "/profiles/add",
            json={"image_urls": ["https://x.test/a.jpg"] * 5, "training_tier": "fast"},
        )
        assert r.status_code == 400 and r.json()["code"] == "NO_SUBJECT"
        assert "offline" in r.json()["detail"]


def test_profiles_survive_a_restart_with_a_data_dir(tmp_path: Path, data_dir: Path) -> None:
    images = [data_uri(data_dir / "chelsea.jpg")] * 5
    with LocalServer(api_key=KEY, training=FAST, data_dir=tmp_path) as srv, client(srv) as http:
        pid = http.post(
            "/profiles/add", json={"image_urls": images, "training_tier": "fast", "tag": "pets"}
        ).json()["profile_id"]
        gone = http.post(
            "/profiles/add", json={"image_urls": images, "training_tier": "fast"}
        ).json()["profile_id"]
        http.delete(f"/profiles/{gone}")
    with LocalServer(api_key=KEY, training=FAST, data_dir=tmp_path) as srv, client(srv) as http:
        ids = [p["profile_id"] for p in http.get("/profiles/ids").json()["profiles"]]
        assert ids == [pid]
        assert poll_until(http, pid, {"READY", "ERROR"})[-1] == "READY"
        assert http.get(f"/profiles/{pid}/profile_picture").status_code == 200


class Receiver(BaseHTTPRequestHandler):
    """Collects callback POSTs."""

    received: ClassVar[list[tuple[bytes, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((body, self.headers.get("X-Phota-Signature", "")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


def test_jobs_callbacks_are_signed_with_the_account_secret() -> None:
    Receiver.received = []
    hook = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=hook.serve_forever, daemon=True)
    thread.start()
    try:
        with LocalServer(api_key=KEY, queue_delay=0.05) as srv, client(srv) as http:
            secret = http.get("/webhook-secret").json()["secret"]
            url = f"http://127.0.0.1:{hook.server_address[1]}/hook"
            r = http.post(
                "/generate",
                json={
                    "prompt": "x",
                    "async": True,
                    "response_mode": "urls",
                    "callback_url": url,
                    "client_request_id": "c1",
                },
            )
            assert r.status_code == 202
            job_id = r.json()["job_id"]
            assert http.get(f"/jobs/{job_id}").json()["status"] in ("queued", "running")
            deadline = time.monotonic() + 10
            while not Receiver.received and time.monotonic() < deadline:
                time.sleep(0.02)
            body, signature = Receiver.received[0]
            assert pw.verify_webhook(body, signature, secret)
            assert not pw.verify_webhook(body + b" ", signature, secret)
            assert not pw.verify_webhook(body, signature, "whsec_other")
            assert (
                json.loads(body)["job_id"] == job_id and json.loads(body)["status"] == "succeeded"
            )
            assert pw.verify_webhook(body, signature.removeprefix("sha256="), secret)
    finally:
        hook.shutdown()


def test_failed_job_reports_its_error(data_dir: Path) -> None:
    with LocalServer(api_key=KEY) as srv, client(srv) as http:
        r = http.post(
            "/enhance",
            json={"image": "https://far.away/x.jpg", "async": True, "response_mode": "urls"},
        )
        job_id = r.json()["job_id"]
        for _ in range(200):
            job = http.get(f"/jobs/{job_id}").json()
            if job["status"] == "failed":
                break
            time.sleep(0.02)
        assert job["error"]["code"] == "IMAGE_FETCH_FAILED" and job["result"] is None


def test_fault_rates_are_seeded_and_answers_are_well_formed() -> None:
    faults = Faults(rate_429=0.3, rate_500=0.2, rate_503=0.2, seed=7, retry_after=0.01)

    def statuses() -> list[int]:
        with LocalServer(api_key=KEY, faults=faults) as srv, client(srv) as http:
            answers = [http.get("/webhook-secret") for _ in range(30)]
        for r in answers:
            if r.status_code == 429:
                assert r.headers["Retry-After"] == "0.01"
            if r.status_code >= 400:
                assert r.json()["request_id"] == r.headers["X-Request-Id"]
        return [r.status_code for r in answers]

    first = statuses()
    assert first == statuses()  # repeatable
    assert {200, 429, 500, 503} <= set(first)


def test_latency_drop_and_sync_time_limit() -> None:
    with LocalServer(api_key=KEY, latency=0.2) as srv, client(srv) as http:
        started = time.perf_counter()
        http.get("/webhook-secret")
        assert time.perf_counter() - started >= 0.2
    with (
        LocalServer(api_key=KEY, faults=Faults(drop_rate=1.0)) as srv,
        client(srv) as http,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        http.get("/webhook-secret")
    with (
        LocalServer(api_key=KEY, faults=Faults(sync_time_limit=0.0001)) as srv,
        client(srv) as http,
    ):
        r = http.post("/generate", json={"prompt": "x", "resolution": "2K"})
        assert r.status_code == 504 and "refunded" in r.json()["detail"]


def test_dropped_async_submit_is_retried_without_paying_twice() -> None:
    """The drop happens after the job was created; the retry returns the same job."""
    faults = Faults(drop_rate=0.5, seed=3)
    with LocalServer(api_key=KEY, faults=faults) as srv:
        c = pw.PhotaClient(api_key=srv.api_key, base_url=srv.base_url, max_retries=8)
        for i in range(4):
            job = c.submit("generate", prompt=f"boat {i}")
            assert job.wait(poll_interval=0.02).images
        assert len(srv.state.jobs._jobs) == 4
        c.close()


def test_server_stops_cleanly_and_frees_its_port() -> None:
    before = {t.name for t in threading.enumerate()}
    srv = LocalServer(api_key=KEY).start()
    port = srv.port
    assert port and srv.running and "***" in repr(srv) and KEY not in repr(srv)
    srv.stop()
    assert not srv.running
    assert {t.name for t in threading.enumerate()} - before == set()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # free again
    with pytest.raises(RuntimeError, match="not running"):
        _ = srv.base_url


def test_binds_loopback_by_default() -> None:
    with LocalServer(api_key=KEY) as srv:
        assert srv.base_url.startswith("http://127.0.0.1:")
