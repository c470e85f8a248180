"""Webhook signatures: hex HMAC-SHA256 of the raw body with the account secret.

Phota signs job callbacks in the ``X-Phota-Signature`` header with the secret from
``GET /webhook-secret``. The exact scheme is undocumented; this is the one we assume (see
``PHOTA_API.md``): the hex digest, optionally prefixed ``sha256=``.

A valid signature does not stop a replay (the same signed callback sent again):
:class:`WebhookGuard` also refuses job ids already handled.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from phota_widgets.api.errors import PhotaError

SIGNATURE_HEADER = "X-Phota-Signature"


def sign_webhook(body: bytes | str, secret: str) -> str:
    """Signature of a body, as the header carries it (``sha256=<hex>``)."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    digest = hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_webhook(body: bytes | str, signature: str | None, secret: str) -> bool:
    """Whether a callback body carries a valid signature (compared in constant time).

    Args:
        body: the raw request body, exactly as received.
        signature: the ``X-Phota-Signature`` header, with or without ``sha256=``.
        secret: the account's webhook secret.
    """
    if not signature or not secret:
        return False
    given = signature.strip()
    if given.lower().startswith("sha256="):
        given = given[len("sha256=") :]
    expected = sign_webhook(body, secret)[len("sha256=") :]
    return hmac.compare_digest(expected.encode("ascii"), given.lower().encode("ascii", "replace"))


class WebhookRejected(PhotaError):
    """A callback that must not be acted on; ``reason`` says why."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class WebhookGuard:
    """Accept each job's callback once: a valid signature, a readable body, a job not yet handled.

    A signature proves who sent a body, not when: an attacker who captured one callback can send
    it again. Phota's callbacks carry the job id, so the defence is to remember the job ids
    already handled and refuse them (answer 2xx to stop retries, but do not act twice).

    Args:
        secret: the account's webhook secret (``client.webhook_secret()``).
        handled: job ids handled before (e.g. read back from your own records after a restart).
        remember: how many job ids to keep in memory (oldest forgotten first).

    Example::

        guard = WebhookGuard(secret)
        try:
            job = guard.accept(request.body, request.headers.get(SIGNATURE_HEADER))
        except WebhookRejected as exc:
            return 401 if exc.reason == "signature" else 200  # a replay: already handled
    """

    def __init__(
        self, secret: str, *, handled: Iterable[str] = (), remember: int = 100_000
    ) -> None:
        self._secret = secret
        self._remember = max(1, remember)
        self._handled: OrderedDict[str, None] = OrderedDict((j, None) for j in handled)
        self._lock = threading.Lock()

    def accept(self, body: bytes | str, signature: str | None) -> dict[str, Any]:
        """The callback's JSON body, once per job id.

        Raises:
            WebhookRejected: ``reason`` is ``signature``, ``body`` or ``replay``.
        """
        if not verify_webhook(body, signature, self._secret):
            raise WebhookRejected("the signature is missing or wrong", reason="signature")
        try:
            payload = json.loads(body)
        except ValueError:
            raise WebhookRejected("the callback's body is not JSON", reason="body") from None
        job_id = payload.get("job_id") if isinstance(payload, dict) else None
        if not isinstance(job_id, str) or not job_id:
            raise WebhookRejected("the callback names no job_id", reason="body")
        with self._lock:
            if job_id in self._handled:
                raise WebhookRejected(f"job {job_id} was already handled", reason="replay")
            self._handled[job_id] = None
            while len(self._handled) > self._remember:
                self._handled.popitem(last=False)
        assert isinstance(payload, dict)
        return payload

    def __repr__(self) -> str:
        return f"WebhookGuard(handled={len(self._handled)}, secret='***')"
