"""Request bodies at the embedded server's door: read (size-capped JSON), validated with the
wire layer's own models (400 for an unsupported option, 422 in FastAPI's shape for the rest),
and described in ``/openapi.json``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from phota_widgets.api.models import REQUEST_MODELS, UNSUPPORTED_OPTION, ProfileAddRequest
from phota_widgets.local.jobs import WorkFailed
from phota_widgets.local.state import APIFailure

M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = 200 * 1024 * 1024


IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "images (bytes mode: base64; urls mode: download links)"},
    202: {"description": "an async job was accepted (job_id, poll_url)"},
    400: {"description": "an option the model does not support"},
    422: {"description": "the body did not validate"},
}


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI requestBody of an image endpoint: the wire model's own JSON schema."""
    ref = f"#/components/schemas/{model.__name__}"
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": ref}}},
        }
    }


def describe_bodies(app: FastAPI) -> None:
    """Put the request models' schemas into ``/openapi.json``'s components."""
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = plain_openapi()
        models = [*REQUEST_MODELS.values(), ProfileAddRequest]
        _, defs = models_json_schema(
            [(m, "validation") for m in models], ref_template="#/components/schemas/{model}"
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(defs.get("$defs", {}))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def own_origin(request: Request) -> tuple[str, int]:
    """The (host, port) this server answers on, as the request reached it."""
    url = request.base_url
    return (url.hostname or "", url.port or (443 if url.scheme == "https" else 80))


async def read_json(request: Request) -> Any:
    """The body as JSON, or a 422 in FastAPI's shape."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise APIFailure(413, f"request body over {MAX_BODY_BYTES // 2**20} MB")
    try:
        return json.loads(raw)
    except RecursionError:
        raise APIFailure(
            422, [{"loc": ["body"], "msg": "JSON nested too deeply", "type": "json_invalid"}]
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise APIFailure(
            422, [{"loc": ["body"], "msg": f"JSON decode error: {exc}", "type": "json_invalid"}]
        ) from None


def parse_body(model: type[M], body: Any, context: dict[str, Any]) -> M:
    """Validate a body: options the model refuses are 400s, shape problems 422s."""
    if not isinstance(body, dict):
        raise APIFailure(
            422, [{"loc": ["body"], "msg": "Input should be an object", "type": "dict_type"}]
        )
    try:
        return model.model_validate(body, context=context)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        unsupported = [e for e in errors if e["type"] == UNSUPPORTED_OPTION]
        if unsupported:
            raise APIFailure(400, unsupported[0]["msg"], "UNSUPPORTED_OPTION") from None
        detail = [{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in errors]
        raise APIFailure(422, detail) from None


def check(step: Callable[[], None]) -> None:
    """Run a check that raises WorkFailed, as an API failure."""
    try:
        step()
    except WorkFailed as exc:
        raise APIFailure(exc.status_code, exc.detail, exc.code) from None
