"""What goes on the wire, how answers map to errors, and when retries happen (MockTransport)."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

import phota_widgets as pw
from phota_widgets.api import retry

KEY = "sk-planted-SECRET-1234567890"
BASE = "https://api.test/v1/phota"


def tiny_jpeg(colour: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 8), colour).save(buf, format="JPEG")
    return buf.getvalue()


def image_body(n: int = 1, counts: dict[str, int] | None = None) -> dict[str, Any]:
    images = [base64.b64encode(tiny_jpeg()).decode() for _ in range(n)]
    return {"images": images, "download_urls": [], "known_subjects": {"counts": counts or {}}}


class Script:
    """A MockTransport handler answering from a list of (status, body, headers), recording calls."""

    def __init__(self, *answers: tuple[int, Any, dict[str, str]] | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        status, body, headers = answer
        if isinstance(body, bytes):
            return httpx.Response(status, content=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    def body(self, i: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[i].content)


def client_for(script: Callable[[httpx.Request], httpx.Response], **kwargs: Any) -> pw.PhotaClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(script))
    aclient = pw.AsyncPhotaClient(KEY, BASE, http_client=http, **kwargs)
    return pw.PhotaClient(async_client=aclient)


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record backoff delays instead of sleeping."""
    slept: list[float] = []

    async def fake_sleep(self: Any, attempt: int, retry_after: float | None, why: str) -> None:
        slept.append(self.retry.delay(attempt, retry_after))

    monkeypatch.setattr("phota_widgets.api.transport.Transport._sleep", fake_sleep)
    return slept


def test_generate_sends_key_header_and_full_body() -> None:
    script = Script((200, image_body(2, {"p1": 2}), {"X-Request-Id": "req-1"}))
    result = client_for(script).generate(
        "a [[p1]] headshot", num_output_images=2, aspect_ratio="1:1", resolution="2K"
    )
    sent = script.requests[0]
    assert sent.url == f"{BASE}/generate" and sent.method == "POST"
    assert sent.headers["X-API-Key"] == KEY
    assert script.body() == {
        "prompt": "a [[p1]] headshot",
        "num_output_images": 2,
        "aspect_ratio": "1:1",
        "resolution": "2K",
        "base_model": "nb2",
        "output_format": "jpg",
        "response_mode": "bytes",
    }
    assert result.request_id == "req-1" and result.known_subjects == {"p1": 2}
    assert [img.data for img in result.images] == [tiny_jpeg(), tiny_jpeg()]
    assert result.images[0].image.size == (16, 8)
    assert result.cost_estimate == pytest.approx(2 * 0.09 * 1.25)


def test_images_are_raw_base64_and_request_records_no_bytes(data_dir: Path) -> None:
    script = Script((200, image_body(), {}))
    photo = data_dir / "chelsea.jpg"
    result = client_for(script).edit(
        "warmer", [photo, "https://img.test/x.jpg"], profile_ids=["p1"]
    )
    body = script.body()
    assert body["images"][0] == base64.b64encode(photo.read_bytes()).decode()
    assert body["images"][1] == "https://img.test/x.jpg"
    assert body["profile_ids"] == ["p1"]
    recorded = json.dumps(result.request)
    assert body["images"][0][:200] not in recorded and "sha256:" in recorded
    enhance = client_for(script).enhance(photo, prompt="subtle", output_format="png")
    assert script.body()["image"].startswith("/9j/") and script.body()["output_format"] == "png"
    assert enhance.endpoint == "enhance"


def test_submit_sends_async_urls_and_client_request_id_then_polls_and_downloads() -> None:
    job_body = {
        "job_id": "j1",
        "status": "succeeded",
        "error": None,
        "result": {
            "images": [],
            "download_urls": ["https://cdn.test/a.jpg"],
            "known_subjects": None,
        },
    }
    script = Script(
        (202, {"job_id": "j1", "poll_url": "/jobs/j1"}, {}),
        (200, {"job_id": "j1", "status": "running"}, {}),
        (200, job_body, {}),
        (200, tiny_jpeg("blue"), {"content-type": "image/jpeg"}),
    )
    job = client_for(script).submit("generate", prompt="x", client_request_id="crid-1")
    body = script.body(0)
    assert body["async"] is True and body["response_mode"] == "urls"
    assert body["client_request_id"] == "crid-1"
    result = job.wait(poll_interval=0.01)
    assert result.job_id == "j1" and result.images[0].data == tiny_jpeg("blue")
    assert result.images[0].url == "https://cdn.test/a.jpg"
    download = script.requests[-1]
    assert "X-API-Key" not in download.headers  # the key never goes to a CDN
    generated = client_for(Script((202, {"job_id": "j2"}, {}))).submit("generate", prompt="x")
    assert generated.client_request_id and len(generated.client_request_id) >= 16


def test_failed_job_raises_with_code() -> None:
    script = Script(
        (202, {"job_id": "j1"}, {}),
        (
            200,
            {
                "job_id": "j1",
                "status": "failed",
                "error": {"detail": "refused", "code": "CONTENT_MODERATION"},
            },
            {},
        ),
    )
    job = client_for(script).submit("generate", prompt="x")
    with pytest.raises(pw.JobFailedError, match="refused") as info:
        job.wait(poll_interval=0.01)
    assert info.value.code == "CONTENT_MODERATION" and info.value.job_id == "j1"


STATUS_ERRORS = [
    (400, {}, pw.BadRequestError),
    (400, {"code": "CONTENT_MODERATION"}, pw.ContentModerationError),
    (400, {"type": "CONTENT_MODERATION"}, pw.ContentModerationError),
    (400, {"error": "CONTENT_MODERATION"}, pw.ContentModerationError),
    (401, {}, pw.AuthenticationError),
    (402, {}, pw.PaymentRequiredError),
    (403, {}, pw.AuthenticationError),
    (404, {}, pw.NotFoundError),
    (422, {}, pw.UnprocessableError),
    (429, {}, pw.RateLimitError),
    (500, {}, pw.ServerError),
    (503, {}, pw.ServerError),
    (504, {}, pw.SyncTimeLimitError),
]


@pytest.mark.parametrize(("status", "extra", "kind"), STATUS_ERRORS)
def test_every_status_maps_to_its_error(status: int, extra: dict[str, str], kind: type) -> None:
    body = {"detail": "what went wrong", "request_id": "req-9", **extra}
    client = client_for(Script((status, body, {})), max_retries=0)
    with pytest.raises(kind) as info:
        client.generate("x")
    err = info.value
    assert type(err) is kind
    assert err.status_code == status and err.request_id == "req-9"
    assert err.detail == "what went wrong" and "what went wrong" in str(err)


def test_request_id_from_header_and_fastapi_422_detail() -> None:
    detail = [{"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"}]
    client = client_for(Script((422, {"detail": detail}, {"X-Request-Id": "hdr-1"})))
    with pytest.raises(pw.UnprocessableError, match="prompt: Field required") as info:
        client.generate("x")
    assert info.value.request_id == "hdr-1" and info.value.detail == detail


def test_non_json_error_body() -> None:
    client = client_for(Script((502, b"<html>bad gateway</html>", {})), max_retries=0)
    with pytest.raises(pw.ServerError, match="bad gateway"):
        client.generate("x")


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_retryable_statuses_are_retried(status: int, no_backoff: list[float]) -> None:
    script = Script((status, {"detail": "busy"}, {"Retry-After": "3"}), (200, image_body(), {}))
    result = client_for(script, max_retries=2).generate("x")
    assert len(script.requests) == 2 and len(result.images) == 1
    assert no_backoff == [3.0]  # Retry-After honoured


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 422])
def test_client_errors_are_never_retried(status: int) -> None:
    script = Script((status, {"detail": "no"}, {}))
    with pytest.raises(pw.APIError):
        client_for(script, max_retries=5).generate("x")
    assert len(script.requests) == 1


def test_retries_are_bounded(no_backoff: list[float]) -> None:
    script = Script((503, {"detail": "down"}, {}))
    with pytest.raises(pw.ServerError):
        client_for(script, max_retries=3).generate("x")
    assert len(script.requests) == 4 and len(no_backoff) == 3
    assert all(0 <= d <= 20 for d in no_backoff)


def test_connect_errors_are_retried_even_for_paid_work() -> None:
    script = Script(httpx.ConnectError("refused"), (200, image_body(), {}))
    client_for(script).generate("x")
    assert len(script.requests) == 2


def test_dropped_sync_request_is_not_retried_but_async_submit_is() -> None:
    drop = httpx.RemoteProtocolError("Server disconnected without sending a response.")
    script = Script(drop, (200, image_body(), {}))
    with pytest.raises(pw.ConnectionError, match="may have started paid work"):
        client_for(script).generate("x")
    assert len(script.requests) == 1
    script = Script(drop, (202, {"job_id": "j1"}, {}))
    job = client_for(script).submit("generate", prompt="x")
    assert job.job_id == "j1" and len(script.requests) == 2
    assert script.body(0)["client_request_id"] == script.body(1)["client_request_id"]


def test_reads_are_retried_after_a_drop() -> None:
    script = Script(httpx.ReadError("reset"), (200, {"profiles": ["a", {"profile_id": "b"}]}, {}))
    profiles = client_for(script).profiles.list()
    assert [p.profile_id for p in profiles] == ["a", "b"]


def test_timeout_maps_to_request_timeout_error() -> None:
    script = Script(httpx.ReadTimeout("slow"))
    with pytest.raises(pw.RequestTimeoutError):
        client_for(script, max_retries=0).generate("x")


def test_backoff_grows_with_jitter_and_caps() -> None:
    policy = retry.RetryPolicy(max_retries=10, initial_delay=1.0, max_delay=5.0)
    assert all(0 <= policy.delay(0) <= 1.0 for _ in range(50))
    assert all(0 <= policy.delay(6) <= 5.0 for _ in range(50))
    assert policy.delay(0, retry_after=100) == 5.0
    assert retry.parse_retry_after("2.5") == 2.5
    assert retry.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry.parse_retry_after("soon") is None
    assert retry.parse_retry_after("nan") is None and retry.parse_retry_after("inf") is None


def test_profiles_endpoints_on_the_wire() -> None:
    script = Script(
        (200, {"profiles": []}, {}),  # a tagged add first notes the tag's profiles
        (200, {"profile_id": "p9"}, {}),
        (200, {"profile_id": "p9", "status": "READY", "message": None}, {}),
        (200, tiny_jpeg(), {"content-type": "image/jpeg"}),
        (200, {"profile_id": "p9", "status": "ok"}, {}),
        (200, {"secret": "whsec_1"}, {}),
    )
    c = client_for(script)
    urls = [f"https://img.test/{i}.jpg" for i in range(5)]
    assert c.profiles.add(urls, training_tier="fast", tag="team") == "p9"
    assert script.body(1) == {"image_urls": urls, "training_tier": "fast", "tag": "team"}
    assert c.profiles.status("p9").status.value == "READY"
    assert c.profiles.picture("p9") == tiny_jpeg()
    assert c.profiles.delete("p9").status == "ok"
    assert c.webhook_secret() == "whsec_1"
    paths = [(r.method, r.url.path) for r in script.requests]
    assert paths == [
        ("GET", "/v1/phota/profiles/ids"),
        ("POST", "/v1/phota/profiles/add"),
        ("GET", "/v1/phota/profiles/p9/status"),
        ("GET", "/v1/phota/profiles/p9/profile_picture"),
        ("DELETE", "/v1/phota/profiles/p9"),
        ("GET", "/v1/phota/webhook-secret"),
    ]


def test_list_with_tag_sends_query() -> None:
    script = Script((200, {"profiles": []}, {}))
    client_for(script).profiles.list(tag="family")
    assert script.requests[0].url.params["tag"] == "family"


def test_key_never_in_repr_str_or_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script((401, {"detail": "Invalid API key"}, {}))
    client = client_for(script)
    texts = [repr(client), str(client), repr(client.aclient)]
    with pytest.raises(pw.AuthenticationError) as info:
        client.generate("x")
    texts += [repr(info.value), str(info.value), repr(info.value.detail)]
    result = client_for(Script((200, image_body(), {}))).generate("x")
    texts += [repr(result), str(result), result._repr_html_(), json.dumps(dict(result.request))]
    assert all(KEY not in t for t in texts)
    assert "***" in repr(client)


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PHOTA_API_KEY", raising=False)
    client = pw.PhotaClient(base_url=BASE)
    with pytest.raises(pw.AuthenticationError, match="PHOTA_API_KEY"):
        client.generate("x")


def test_key_and_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHOTA_API_KEY", KEY)
    monkeypatch.setenv("PHOTA_BASE_URL", "https://env.test/v1/phota")
    script = Script((200, image_body(), {}))
    http = httpx.AsyncClient(transport=httpx.MockTransport(script))
    client = pw.PhotaClient(async_client=pw.AsyncPhotaClient(http_client=http))
    client.generate("x")
    assert script.requests[0].headers["X-API-Key"] == KEY
    assert str(script.requests[0].url).startswith("https://env.test/v1/phota/")


def test_with_options_shares_key_and_pool() -> None:
    script = Script((503, {"detail": "down"}, {}))
    client = client_for(script, max_retries=3)
    quick = client.with_options(max_retries=0, timeout=5.0)
    with pytest.raises(pw.ServerError):
        quick.generate("x")
    assert len(script.requests) == 1
    assert script.requests[0].headers["X-API-Key"] == KEY
    assert quick.aclient.transport.http is client.aclient.transport.http
