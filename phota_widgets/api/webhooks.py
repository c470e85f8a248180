"""Webhook signatures: hex HMAC-SHA256 of the raw body with the account secret.

Phota signs job callbacks in the ``X-Phota-Signature`` header with the secret from
``GET /webhook-secret``. The exact scheme is undocumented; this is the one we assume (see
``PHOTA_API.md``): the hex digest, optionally prefixed ``sha256=``.
"""

from __future__ import annotations

import hashlib
import hmac

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
