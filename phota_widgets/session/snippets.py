"""Code that reproduces a run: Python (a Session) and cURL (the HTTP API), never the key.

Both read the key from the environment (``$PHOTA_API_KEY``), the way Phota's documentation
does. Input images recorded in the run store are read back from it (Python) or from their file
(cURL, base64-encoded in the shell), so the snippet makes the very same call again.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from phota_widgets.api.client import IMAGE_FIELDS
from phota_widgets.api.transport import DEFAULT_BASE_URL

KEY_ENV = "PHOTA_API_KEY"
WIRE_ONLY = frozenset({"response_mode", "async", "callback_url", "client_request_id"})
"""Parameters the client adds itself (a snippet leaves them out)."""
InputPath = Callable[[str], Path | None]
"""Finds the file of a recorded input (``sha256:<hex>``), or None."""


def python_snippet(
    endpoint: str, params: Mapping[str, Any], *, output_dir: str | Path, index: int = 0
) -> str:
    """Python making the same call through a Session on the same run store.

    Args:
        endpoint: ``generate``, ``edit``, ``enhance`` or ``remix``.
        params: the recorded parameters (inputs as ``sha256:`` references or URLs).
        output_dir: the run store the inputs are read back from.
        index: the output the snippet points at.
    """
    lines = [
        "import phota_widgets as pw",
        "",
        f"# the key is read from ${KEY_ENV} (without it: the offline stand-in server)",
        f"s = pw.Session(output_dir={str(output_dir)!r})",
        "result = s.run(",
        f"    {endpoint!r},",
    ]
    for name, value in _sendable(params).items():
        code = _python_images(value) if name in IMAGE_FIELDS else repr(value)
        lines.append(f"    {name}={code},")
    lines += [")", f"result.images[{index}]"]
    return "\n".join(lines) + "\n"


def curl_snippet(
    endpoint: str, params: Mapping[str, Any], *, base_url: str, input_path: InputPath
) -> str:
    """A cURL command sending the same request to the API (JSON body, key from the env).

    Args:
        endpoint: the endpoint.
        params: the recorded parameters.
        base_url: the API root.
        input_path: finds a recorded input's file (base64-encoded by the shell when run).
    """
    body: dict[str, Any] = {}
    files: dict[str, str] = {}
    for name, value in _sendable(params).items():
        if name in IMAGE_FIELDS:
            value = _curl_images(value, input_path, files)
        body[name] = value
    text = json.dumps(body, ensure_ascii=False)
    text = text.replace("\\", "\\\\").replace("$", "\\$").replace("`", "\\`")
    for marker, path in files.items():  # after escaping: these are the shell's to expand
        text = text.replace(marker, f"$(base64 < {shlex.quote(path)} | tr -d '\\n')")
    url = f"{base_url.rstrip('/')}/{endpoint}"
    return (
        f"curl -sS -X POST {shlex.quote(url)} \\\n"
        f'  -H "X-API-Key: ${KEY_ENV}" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        "  -o result.json \\\n"
        "  -d @- <<JSON\n"
        f"{text}\n"
        "JSON\n"
        '# result.json: the images as base64 strings in "images"\n'
    )


def api_root(base_url: str, is_local: bool) -> str:
    """The API a cURL snippet should call: Phota's when the run came from the stand-in."""
    return DEFAULT_BASE_URL if is_local else base_url


def _sendable(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in WIRE_ONLY and v is not None}


def _python_images(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_python_images(v) for v in value) + "]"
    if isinstance(value, str) and value.startswith("sha256:"):
        return f"s.input_image({value!r})"
    return repr(value)


def _curl_images(value: Any, input_path: InputPath, files: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [_curl_images(v, input_path, files) for v in value]
    if isinstance(value, str) and value.startswith("sha256:"):
        path = input_path(value)
        if path is None:
            return "<base64 of the input photo (no longer in the run store)>"
        marker = f"@@PHOTA_INPUT_{len(files)}@@"
        files[marker] = str(path)
        return marker
    return value
