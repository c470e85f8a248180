"""The same client tests against a MockTransport fake and the embedded server over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

import phota_widgets as pw
from phota_widgets.local import LocalServer

KEY = "sk-planted-SECRET-1234567890"


def _jpeg(fmt: str = "jpg") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), "green").save(buf, format="PNG" if fmt == "png" else "JPEG")
    return buf.getvalue()


class FakePhota:
    """A scripted stand-in answering like Phota for MockTransport (no image work)."""

    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.by_crid: dict[str, str] = {}
        self.profiles: dict[str, str | None] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "cdn.test":
            return httpx.Response(200, content=_jpeg())
        if request.headers.get("X-API-Key") != KEY:
            return httpx.Response(401, json={"detail": "Invalid API key", "request_id": "r0"})
        path = request.url.path.removeprefix("/v1/phota")
        body = json.loads(request.content) if request.content else {}
        head = {"X-Request-Id": uuid.uuid4().hex}
        if request.method == "POST" and path in ("/generate", "/edit", "/enhance", "/remix"):
            ids = [*body.get("profile_ids", [])]
            counts = {i: body.get("num_output_images", 1) for i in ids}
            data = _jpeg(body.get("output_format", "png"))
            images = [base64.b64encode(data).decode()] * body.get("num_output_images", 1)
            answer = {"images": images, "download_urls": [], "known_subjects": {"counts": counts}}
            if body.get("response_mode") == "urls":
                urls = [f"https://cdn.test/{uuid.uuid4().hex}.jpg" for _ in images]
                answer = {**answer, "images": [], "download_urls": urls}
            if body.get("async"):
                crid = body["client_request_id"]
                if crid not in self.by_crid:
                    job_id = f"job{len(self.jobs)}"
                    self.by_crid[crid] = job_id
                    urls = [f"https://cdn.test/{job_id}/{i}.jpg" for i in range(len(images))]
                    result = {**answer, "images": [], "download_urls": urls}
                    self.jobs[job_id] = {"job_id": job_id, "status": "succeeded", "result": result}
                job_id = self.by_crid[crid]
                return httpx.Response(202, json={"job_id": job_id, "poll_url": f"/jobs/{job_id}"})
            return httpx.Response(200, json=answer, headers=head)
        if path.startswith("/jobs/"):
            job = self.jobs.get(path.split("/")[-1])
            if job is None:
                return httpx.Response(404, json={"detail": "job not found"}, headers=head)
            return httpx.Response(200, json=job, headers=head)
        if path == "/profiles/add":
            pid = f"p{len(self.profiles)}"
            self.profiles[pid] = body.get("tag")
            return httpx.Response(200, json={"profile_id": pid}, headers=head)
        if path == "/profiles/ids":
            tag = request.url.params.get("tag")
            ids = [p for p, t in self.profiles.items() if tag is None or t == tag]
            return httpx.Response(200, json={"profiles": ids}, headers=head)
        if path == "/webhook-secret":
            return httpx.Response(200, json={"secret": "whsec_fake"}, headers=head)
        pid = path.split("/")[2] if path.startswith("/profiles/") else ""
        if pid not in self.profiles:
            return httpx.Response(404, json={"detail": f"profile {pid} not found"}, headers=head)
        if path.endswith("/status"):
            return httpx.Response(200, json={"profile_id": pid, "status": "READY", "message": None})
        if path.endswith("/profile_picture"):
            return httpx.Response(200, content=_jpeg(), headers={"content-type": "image/jpeg"})
        if request.method == "DELETE":
            del self.profiles[pid]
            return httpx.Response(200, json={"profile_id": pid, "status": "ok"})
        return httpx.Response(404, json={"detail": "no such path"})


@pytest.fixture(params=["mock", "local"])
def client(request: pytest.FixtureRequest, server: LocalServer) -> Iterator[pw.PhotaClient]:
    """A client whose backend is the MockTransport fake or the embedded server."""
    if request.param == "mock":
        http = httpx.AsyncClient(transport=httpx.MockTransport(FakePhota()))
        aclient = pw.AsyncPhotaClient(
            KEY, "https://api.test/v1/phota", http_client=http, inline_training_images=False
        )
        yield pw.PhotaClient(async_client=aclient)
    else:
        with pw.PhotaClient(api_key=KEY, base_url=server.base_url) as c:
            yield c


def test_generate(client: pw.PhotaClient) -> None:
    result = client.generate("a lighthouse at night", num_output_images=2, aspect_ratio="16:9")
    assert len(result.images) == 2 and result.endpoint == "generate"
    assert all(img.image.format == "JPEG" for img in result.images)
    assert result.request_id and result.elapsed > 0
    assert result.request["aspect_ratio"] == "16:9"


def test_edit_enhance_remix(client: pw.PhotaClient, data_dir: Path) -> None:
    photo, style = data_dir / "coffee.jpg", data_dir / "rocket.jpg"
    edited = client.edit("make it warmer", [photo], output_format="png")
    assert edited.images[0].data.startswith(b"\x89PNG")
    enhanced = client.enhance(photo, num_output_images=2)
    assert len(enhanced.images) == 2
    remixed = client.remix(photo, style, prompt="moody")
    assert len(remixed.images) == 1 and remixed.cost_estimate == pytest.approx(0.12)


def test_urls_mode_downloads_at_once(client: pw.PhotaClient) -> None:
    result = client.generate("a red barn", response_mode="urls")
    image = result.images[0]
    assert image.url and image.data[:3] == b"\xff\xd8\xff"


def test_async_job_is_idempotent_by_client_request_id(client: pw.PhotaClient) -> None:
    first = client.submit(
        "generate", prompt="two red boats", num_output_images=2, client_request_id="same-id"
    )
    again = client.submit(
        "generate", prompt="two red boats", num_output_images=2, client_request_id="same-id"
    )
    assert first.job_id == again.job_id
    result = first.wait(poll_interval=0.05, timeout=30)
    assert len(result.images) == 2 and result.job_id == first.job_id
    fetched = client.get_job(first.job_id)
    assert fetched.status is not None and fetched.status.value == "succeeded"


def test_unknown_job_is_not_found(client: pw.PhotaClient) -> None:
    with pytest.raises(pw.NotFoundError):
        client.get_job("job_does_not_exist")


def test_profiles_lifecycle(client: pw.PhotaClient) -> None:
    tag = f"t{uuid.uuid4().hex[:6]}"
    # Phota trains from URLs; the embedded server cannot fetch remote ones (offline) and says so.
    urls = [f"https://img.test/{i}.jpg" for i in range(5)]
    try:
        pid = client.profiles.add(urls, training_tier="fast", tag=tag)
    except pw.BadRequestError as exc:
        assert "offline" in str(exc)
        return
    assert [p.profile_id for p in client.profiles.list(tag=tag)] == [pid]
    assert client.profiles.wait_ready(pid, poll_interval=0.05).status.value == "READY"
    assert client.profiles.picture(pid)[:3] == b"\xff\xd8\xff"
    client.profiles.delete(pid)
    with pytest.raises(pw.NotFoundError):
        client.profiles.status(pid)


def test_wrong_key_is_an_authentication_error(client: pw.PhotaClient) -> None:
    other = pw.PhotaClient(async_client=client.aclient.with_options())
    other.aclient.transport._api_key = "wrong"
    with pytest.raises(pw.AuthenticationError) as info:
        other.generate("x")
    assert info.value.status_code == 401 and "wrong" not in str(info.value)


def test_webhook_secret(client: pw.PhotaClient) -> None:
    assert client.webhook_secret().startswith("whsec_")


def test_sync_client_works_inside_a_running_event_loop(client: pw.PhotaClient) -> None:
    """A notebook cell runs inside the kernel's loop; the blocking client must still work."""

    async def cell() -> int:
        return len(client.generate("a cell inside a loop").images)

    assert asyncio.run(cell()) == 1


def test_async_client_directly(server: LocalServer) -> None:
    async def main() -> tuple[int, int]:
        async with pw.AsyncPhotaClient(KEY, server.base_url) as ac:
            results = await asyncio.gather(*(ac.generate(f"scene {i}") for i in range(3)))
            job = await ac.submit("generate", prompt="async job")
            done = await job.wait(poll_interval=0.05)
            return len(results), len(done.images)

    assert asyncio.run(main()) == (3, 1)
