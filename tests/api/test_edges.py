"""Exact API edges (issue 7): time limits, pool timeouts, lenient bodies, paid retries, poll_url."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

import phota_widgets as pw
from phota_widgets.api import retry, transport
from phota_widgets.api.prices import DEFAULT_PRICE_TABLE
from phota_widgets.api.results import OutputImage

KEY = "sk-edges-key"
BASE = "https://api.example.test/v1/phota"


def tiny_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 8), "red").save(buf, format="JPEG")
    return buf.getvalue()


def images_body() -> dict[str, Any]:
    return {"images": [base64.b64encode(tiny_jpeg()).decode()], "download_urls": []}


Answer = tuple[int, Any, dict[str, str]] | Exception


class Script:
    """Answers from a list (the last one repeats), recording every request."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        status, body, headers = answer
        if isinstance(body, (bytes, str)):
            return httpx.Response(status, content=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    def paths(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.path) for r in self.requests]


def client_for(script: Callable[[httpx.Request], httpx.Response]) -> pw.PhotaClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(script))
    return pw.PhotaClient(async_client=pw.AsyncPhotaClient(KEY, BASE, http_client=http))


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_sleep(self: Any, attempt: int, retry_after: float | None, why: str) -> None:
        return None

    monkeypatch.setattr("phota_widgets.api.transport.Transport._sleep", no_sleep)


def test_a_sync_504_is_not_retried_and_says_refunded_and_submit() -> None:
    script = Script((504, {"detail": "time limit"}, {}), (200, images_body(), {}))
    with pytest.raises(pw.SyncTimeLimitError, match=r"refunded.*submit\(\)"):
        client_for(script).generate("slow")
    assert len(script.requests) == 1


def test_a_504_on_an_async_submit_and_on_a_poll_is_retried() -> None:
    done = {"job_id": "j1", "status": "succeeded", "result": images_body()}
    script = Script(
        (504, {"detail": "busy"}, {}),
        (202, {"job_id": "j1"}, {}),
        (504, {"detail": "busy"}, {}),
        (200, done, {}),
    )
    job = client_for(script).submit("generate", prompt="x")
    assert len(job.wait(poll_interval=0.01, timeout=10).images) == 1
    assert len(script.requests) == 4


def test_read_timeout_outlasts_the_server_limit_and_the_pool_has_its_own() -> None:
    timeout = transport.DEFAULT_TIMEOUT
    assert timeout.read is not None and timeout.read >= transport.SYNC_TIME_LIMIT + 20
    assert timeout.pool is not None and timeout.pool <= 30


def test_a_pool_timeout_sent_nothing_so_even_paid_work_is_retried() -> None:
    assert retry.should_retry_exception(httpx.PoolTimeout("no free connection"), idempotent=False)
    script = Script(httpx.PoolTimeout("no free connection"), (200, images_body(), {}))
    assert len(client_for(script).generate("x").images) == 1
    assert len(script.requests) == 2


def test_unknown_job_status_is_not_finished_and_a_top_level_result_is_found() -> None:
    script = Script(
        (202, {"job_id": "j2"}, {}),
        (200, {"job_id": "j2", "status": "PROCESSING_ON_GPU"}, {}),
        (200, {"job_id": "j2", "status": "SUCCEEDED", **images_body()}, {}),
    )
    job = client_for(script).submit("generate", prompt="x")
    result = job.wait(poll_interval=0.01, timeout=10)
    assert len(result.images) == 1 and len(script.requests) == 3


def test_webhook_secret_and_profile_status_under_other_names_are_read() -> None:
    script = Script(
        (200, {"webhook_secret": "whsec_9"}, {}),
        (200, {"profile_id": "p1", "status": "RETRAINING"}, {}),
    )
    client = client_for(script)
    assert client.webhook_secret() == "whsec_9"
    status = client.profiles.status("p1")
    assert not status.status.is_terminal and status.reported_status == "RETRAINING"


def test_an_unreadable_answer_is_a_phota_error_with_the_raw_body_and_request_id() -> None:
    script = Script((200, {"what": "no images key but a list"}, {"X-Request-Id": "r-77"}))
    script.answers = [(200, '{"images": 5}', {"X-Request-Id": "r-77"})]
    with pytest.raises(pw.UnexpectedResponseError) as info:
        client_for(script).generate("x")
    assert info.value.request_id == "r-77" and '"images": 5' in info.value.body
    assert isinstance(info.value, pw.PhotaError)
    job_script = Script((202, {"job_id": "j"}, {}), (200, "<html>oops</html>", {}))
    with pytest.raises(pw.UnexpectedResponseError, match="not JSON"):
        client_for(job_script).submit("generate", prompt="x").wait(timeout=5)


def test_profiles_add_without_a_tag_is_not_sent_again_after_a_5xx() -> None:
    script = Script((500, {"detail": "boom"}, {}), (200, {"profile_id": "p2"}, {}))
    urls = [f"https://img.test/{i}.jpg" for i in range(5)]
    with pytest.raises(pw.ServerError, match="not sent again"):
        client_for(script).profiles.add(urls, training_tier="fast")
    assert script.paths() == [("POST", "/v1/phota/profiles/add")]


def test_profiles_add_with_a_tag_finds_the_profile_a_5xx_created() -> None:
    script = Script(
        (200, {"profiles": [{"profile_id": "old", "tag": "t"}]}, {}),
        (502, {"detail": "gateway"}, {}),
        (200, {"profiles": [{"profile_id": "old", "tag": "t"}, {"profile_id": "new"}]}, {}),
    )
    urls = [f"https://img.test/{i}.jpg" for i in range(5)]
    assert client_for(script).profiles.add(urls, training_tier="fast", tag="t") == "new"
    assert [m for m, _ in script.paths()].count("POST") == 1


def test_profiles_add_with_a_tag_retries_when_nothing_was_created() -> None:
    script = Script(
        (200, {"profiles": []}, {}),
        (503, {"detail": "down"}, {}),
        (200, {"profiles": []}, {}),
        (200, {"profile_id": "p3"}, {}),
    )
    urls = [f"https://img.test/{i}.jpg" for i in range(5)]
    assert client_for(script).profiles.add(urls, training_tier="fast", tag="t") == "p3"
    assert [m for m, _ in script.paths()].count("POST") == 2


def test_content_moderation_is_read_from_a_string_detail() -> None:
    script = Script((400, {"detail": "CONTENT_MODERATION: the prompt was refused"}, {}))
    with pytest.raises(pw.ContentModerationError) as info:
        client_for(script).generate("x")
    assert info.value.code == "CONTENT_MODERATION"


def test_the_poll_url_is_polled_on_the_api_origin_only() -> None:
    done = {"job_id": "j3", "status": "succeeded", "result": images_body()}
    script = Script(
        (202, {"job_id": "j3", "poll_url": "/v1/phota/jobs/j3?via=poll"}, {}), (200, done, {})
    )
    client_for(script).submit("generate", prompt="x").wait(timeout=5)
    assert script.requests[1].url.params.get("via") == "poll"
    elsewhere = Script(
        (202, {"job_id": "j4", "poll_url": "https://evil.test/jobs/j4"}, {}),
        (200, {**done, "job_id": "j4"}, {}),
    )
    client_for(elsewhere).submit("generate", prompt="x").wait(timeout=5)
    assert elsewhere.requests[1].url.host == "api.example.test"  # the key never goes elsewhere


def test_a_deprecation_date_is_logged_once_per_value(caplog: pytest.LogCaptureFixture) -> None:
    header = {transport.DEPRECATION_HEADER: "2031-01-01"}
    script = Script((200, images_body(), header))
    client = client_for(script)
    with caplog.at_level(logging.WARNING, logger="phota_widgets"):
        client.generate("a")
        client.generate("b")
    notes = [r for r in caplog.records if "2031-01-01" in r.getMessage()]
    assert len(notes) == 1


def test_gpt_image_2_estimates_are_marked_variable() -> None:
    assert DEFAULT_PRICE_TABLE.is_variable("generate", {"base_model": "gpt-image-2"})
    assert not DEFAULT_PRICE_TABLE.is_variable("generate", {"base_model": "nb2"})
    assert not DEFAULT_PRICE_TABLE.is_variable("enhance", {})


@pytest.mark.parametrize("request_id", ["../../escape", "/tmp/abs/escape", "..", "a/../../b"])
def test_result_save_never_writes_outside_the_folder(tmp_path: Path, request_id: str) -> None:
    result = pw.Result(endpoint="generate", images=[OutputImage(0, data=tiny_jpeg())])
    result.request_id = request_id
    folder = tmp_path / "out"
    (path,) = result.save(folder)
    assert path.resolve().parent == folder.resolve() and path.exists()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [path.name]


def test_nothing_in_these_messages_leaks_the_key() -> None:
    script = Script((504, {"detail": KEY[:3]}, {}))
    with pytest.raises(pw.SyncTimeLimitError) as info:
        client_for(script).generate("x")
    assert KEY not in str(info.value) + repr(info.value) + json.dumps(info.value.detail)
