"""Webhooks: bad signatures are rejected, and a replayed callback is refused by WebhookGuard."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

import phota_widgets as pw
from phota_widgets.api.webhooks import SIGNATURE_HEADER
from phota_widgets.local import LocalServer

SECRET = "whsec_reliability_1"
BODY = json.dumps({"job_id": "job_1", "status": "succeeded"}).encode()


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha256=" + "0" * 64,
        pw.sign_webhook(BODY, SECRET)[:-4],  # truncated
        pw.sign_webhook(BODY, "whsec_another_account"),  # re-signed with another secret
        pw.sign_webhook(BODY + b" ", SECRET),  # signed another body
        "sha256=" + "é" * 64,
    ],
    ids=["missing", "empty", "wrong", "truncated", "other-secret", "other-body", "non-ascii"],
)
def test_bad_signatures_are_rejected(signature: str | None) -> None:
    assert not pw.verify_webhook(BODY, signature, SECRET)
    with pytest.raises(pw.WebhookRejected) as info:
        pw.WebhookGuard(SECRET).accept(BODY, signature)
    assert info.value.reason == "signature"


def test_a_replayed_callback_is_refused_once_handled() -> None:
    guard = pw.WebhookGuard(SECRET, handled=["job_0"])
    signature = pw.sign_webhook(BODY, SECRET)
    assert guard.accept(BODY, signature)["job_id"] == "job_1"
    with pytest.raises(pw.WebhookRejected) as again:
        guard.accept(BODY, signature)  # the same signed callback, sent again
    assert again.value.reason == "replay"
    old = json.dumps({"job_id": "job_0"}).encode()
    with pytest.raises(pw.WebhookRejected, match="already handled"):
        guard.accept(old, pw.sign_webhook(old, SECRET))  # handled before a restart
    assert SECRET not in repr(guard)


def test_unreadable_signed_bodies_are_rejected() -> None:
    guard = pw.WebhookGuard(SECRET, remember=1)
    for body in (b"not json", b"[1, 2]", b'{"status": "succeeded"}'):
        with pytest.raises(pw.WebhookRejected) as info:
            guard.accept(body, pw.sign_webhook(body, SECRET))
        assert info.value.reason == "body"


class _Receiver(BaseHTTPRequestHandler):
    calls: ClassVar[list[tuple[bytes, str | None]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append((body, self.headers.get(SIGNATURE_HEADER)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.calls = []
    httpd = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.timeout(120)
def test_a_real_callback_is_accepted_once_and_its_replay_refused(
    receiver: str, tmp_path: Path, wait_for: object
) -> None:
    with LocalServer(api_key="k-hooks") as server:
        client = pw.PhotaClient(api_key="k-hooks", base_url=server.base_url)
        guard = pw.WebhookGuard(client.webhook_secret())
        client.close()
        # the client sends https callbacks only; the embedded server also takes loopback http
        answer = httpx.post(
            f"{server.base_url}/generate",
            json={
                "prompt": "hooked",
                "async": True,
                "response_mode": "urls",
                "client_request_id": "hook-1",
                "callback_url": receiver,
            },
            headers={"X-API-Key": "k-hooks"},
            timeout=30,
        )
        job_id = answer.json()["job_id"]
        wait_for(lambda: bool(_Receiver.calls), "the callback")  # type: ignore[operator]
        body, signature = _Receiver.calls[0]
        assert guard.accept(body, signature)["job_id"] == job_id
        with pytest.raises(pw.WebhookRejected, match="already handled"):
            guard.accept(body, signature)
