"""Keeping secrets and bulk out of what is stored: run parameters, errors and notes.

Secret-like keys are dropped, huge strings (a base64 image by mistake) are cut, bytes are refused,
and the value of ``PHOTA_API_KEY`` is replaced wherever it appears.
"""

from __future__ import annotations

import numbers
import os
import re
from collections.abc import Mapping
from typing import Any

MAX_PARAM_CHARS = 2048
_SECRET_KEYS = frozenset({"apikey", "authorization", "auth", "bearer", "credentials", "passwd"})
_SECRET_SUFFIXES = ("apikey", "secret", "password", "token")


def scrub_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Return a JSON-able copy of params that is safe to store.

    Secret-like keys (api_key, authorization, token, password, secret, ...) are dropped, strings
    over 2048 chars become ``"<omitted N chars>"``, and the value of ``PHOTA_API_KEY`` is
    redacted wherever it appears. Applies recursively.

    Raises:
        ValueError: if a value is bytes-like or not JSON-able (the message names where).
    """
    result = _scrub(dict(params), "params")
    assert isinstance(result, dict)
    return result


def _is_secret_key(key: str) -> bool:
    norm = re.sub(r"[^a-z0-9]", "", key.lower())
    return norm in _SECRET_KEYS or norm.endswith(_SECRET_SUFFIXES)


def _scrub(value: Any, where: str) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise ValueError(
            f"{where} holds {len(value)} bytes: store the image with RunStore.store_input() "
            "and pass 'sha256:<hex>' instead"
        )
    if isinstance(value, str):
        if len(value) > MAX_PARAM_CHARS:
            return f"<omitted {len(value)} chars>"
        return redact(str.__str__(value))  # plain str, also for str-based enums
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, os.PathLike):
        return _scrub(os.fspath(value), where)
    if isinstance(value, Mapping):
        return {
            str(k): _scrub(v, f"{where}[{k!r}]")
            for k, v in value.items()
            if not _is_secret_key(str(k))
        }
    if isinstance(value, (list, tuple)):
        return [_scrub(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise ValueError(f"{where} is a {type(value).__name__}, which cannot be stored as JSON")


def redact(text: str | None) -> str | None:
    """Replace the value of ``PHOTA_API_KEY`` in a text (keys under 8 chars are left alone)."""
    key = os.environ.get("PHOTA_API_KEY", "")
    if text is None or len(key) < 8:
        return text
    return text.replace(key, "<redacted>")
