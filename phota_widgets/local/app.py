"""The embedded Phota-compatible API: a FastAPI app on the wire layer's own models.

Same paths under ``/v1/phota``, same auth (``X-API-Key``: missing 403, wrong 401), same status
codes and error bodies (``{"detail", "request_id", "code"}``; 422 in FastAPI's shape), and
``X-Request-Id`` on every answer. It is a local stand-in and says so in ``X-Phota-Local``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from PIL import Image
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.requests import ClientDisconnect

from phota_widgets.api.models import (
    REQUEST_MODELS,
    UNSUPPORTED_OPTION,
    EditRequest,
    EnhanceRequest,
    ImageRequest,
    ImageResponse,
    JobHandle,
    KnownSubjects,
    ProfileAddRequest,
    ProfileAddResponse,
    ProfileDeleteResponse,
    ProfileList,
    ProfileStatusResponse,
    ProfileSummary,
    RemixRequest,
    ResponseMode,
    WebhookSecretResponse,
)
from phota_widgets.local import render
from phota_widgets.local.engine import RESOLUTION_LONG_SIDE
from phota_widgets.local.faults import API_PREFIX
from phota_widgets.local.holds import SubmitHolds
from phota_widgets.local.jobs import DownloadStore, JobRegistry, Rendered, Work, WorkFailed
from phota_widgets.local.limits import Limiter
from phota_widgets.local.profiles import ProfileRegistry
from phota_widgets.local.training import decode_training_images

M = TypeVar("M", bound=BaseModel)

logger = logging.getLogger("phota_widgets.local")

STAND_IN_NOTICE = "phota-widgets embedded server: a local stand-in for the Phota API"
NOTES_HEADER = "X-Phota-Local-Notes"
MAX_BODY_BYTES = 200 * 1024 * 1024


@dataclass
class LocalState:
    """Everything the app holds: the account's key and secret, profiles, jobs, downloads."""

    api_key: str = field(repr=False)
    profiles: ProfileRegistry
    downloads: DownloadStore = field(default_factory=DownloadStore)
    webhook_secret: str = field(default_factory=lambda: "whsec_" + uuid.uuid4().hex, repr=False)
    sync_time_limit: float | None = None
    queue_delay: float = 0.0
    processing: float = 0.0
    """Seconds a job takes at least (the model's time), sync and async alike."""
    render_slots: int = field(default_factory=lambda: os.cpu_count() or 1)
    """Image work running at once (more would only share the cores and hold more memory)."""
    image_hosts: set[tuple[str, int]] = field(default_factory=set)
    """Other (host, port) origins image URLs may be fetched from (tests' image hosts)."""
    holds: SubmitHolds = field(default_factory=SubmitHolds)
    """Submits to hold at chosen points (tests cancel them there)."""
    limiter: Limiter | None = None
    """Per-key rate limits (jobs at once, requests per second), answered with 429s."""
    jobs: JobRegistry = field(init=False)
    _slots: asyncio.Semaphore | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.jobs = JobRegistry(self.downloads, self.webhook_secret, self.queue_delay)

    @property
    def slots(self) -> asyncio.Semaphore:
        """The render slots (made on the server's loop at first use)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.render_slots)
        return self._slots


class APIFailure(Exception):
    """An error answer: status, detail and (for 400s) a code."""

    def __init__(
        self,
        status_code: int,
        detail: Any,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(str(detail))
        self.status_code = status_code
        self.detail = detail
        self.code = code
        self.headers = headers or {}


def create_app(state: LocalState) -> FastAPI:
    """Build the app serving ``state``."""
    app = FastAPI(title="Phota API (phota-widgets embedded server)", version="0.7.0-local")
    app.state.local = state

    @app.middleware("http")
    async def request_ids(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.request_id = uuid.uuid4().hex
        wait = _over_request_rate(state, request)
        response: Response
        if wait is not None:
            response = _rate_limited(request.state.request_id, "requests per second", wait)
        else:
            response = await _answer(request, call_next)
        response.headers["X-Request-Id"] = request.state.request_id
        response.headers["X-Phota-Local"] = STAND_IN_NOTICE
        return response

    async def _answer(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        try:
            response = await call_next(request)
        except ClientDisconnect:  # the client went away mid-request: nobody to answer
            logger.info("embedded server: client disconnected during %s", request.url.path)
            response = Response(status_code=499)
        except Exception:  # answered here, so the connection survives (no re-raise)
            logger.exception("embedded server: internal error")
            response = JSONResponse(
                {
                    "detail": "internal error",
                    "request_id": request.state.request_id,
                    "code": "INTERNAL",
                },
                status_code=500,
            )
        return response

    @app.exception_handler(APIFailure)
    async def api_failure(request: Request, exc: APIFailure) -> JSONResponse:
        body: dict[str, Any] = {"detail": exc.detail, "request_id": request.state.request_id}
        if exc.code:
            body["code"] = exc.code
        headers = dict(exc.headers)
        if exc.status_code == 401:
            headers["WWW-Authenticate"] = "APIKey"
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    def authorize(request: Request) -> None:
        key = request.headers.get("X-API-Key")
        if not key:
            raise APIFailure(403, "Not authenticated: send your key in the X-API-Key header")
        if not hmac.compare_digest(key.encode(), state.api_key.encode()):
            raise APIFailure(401, "Invalid API key")

    async def image_endpoint(endpoint: str, request: Request) -> Response:
        authorize(request)
        context = {"allow_http_loopback_callbacks": True}
        parsed: ImageRequest = parse_body(
            REQUEST_MODELS[endpoint], await read_json(request), context
        )
        check(lambda: render.check_profiles(state.profiles, parsed.referenced_profiles()))
        work = _work(parsed, state, own_origin(request))  # fetches from itself (+ image_hosts)
        if not (parsed.async_ and state.jobs.accepted(parsed.client_request_id)):
            work = _holding_job_slot(state, request, work)
        if parsed.async_:
            base = f"{str(request.base_url).rstrip('/')}{API_PREFIX}/_local/downloads"
            await state.holds.at("before_accept")
            job = state.jobs.submit(
                work,
                client_request_id=parsed.client_request_id,
                download_base=base,
                callback_url=parsed.callback_url,
            )
            handle = JobHandle(job_id=job.job_id, poll_url=f"{API_PREFIX}/jobs/{job.job_id}")
            await state.holds.at("after_accept")
            return JSONResponse(handle.model_dump(), status_code=202)
        try:
            rendered = await asyncio.wait_for(work(), state.sync_time_limit)
        except TimeoutError:
            raise APIFailure(504, "sync time limit reached; the cost is refunded") from None
        except WorkFailed as exc:
            raise APIFailure(exc.status_code, exc.detail, exc.code) from None
        return _image_response(rendered, parsed, request, state)

    def image_route(endpoint: str) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:  # only the request: no query argument
            return await image_endpoint(endpoint, request)

        return handler

    for name, model in REQUEST_MODELS.items():
        app.add_api_route(
            f"{API_PREFIX}/{name}",
            image_route(name),
            methods=["POST"],
            name=name,
            openapi_extra=_body_schema(model),
            responses=_IMAGE_RESPONSES,
        )

    @app.get(API_PREFIX + "/jobs/{job_id}")
    async def get_job(job_id: str, request: Request) -> Response:
        authorize(request)
        job = state.jobs.get(job_id)
        if job is None:
            raise APIFailure(404, f"job {job_id} not found", "JOB_NOT_FOUND")
        return JSONResponse(job.body().model_dump(mode="json"), headers=_notes_header(job.notes))

    @app.get(API_PREFIX + "/_local/downloads/{token}")
    async def download(token: str) -> Response:
        found = state.downloads.get(token)
        if found is None:
            raise APIFailure(404, "download link unknown or expired", "DOWNLOAD_EXPIRED")
        return Response(content=found[0], media_type=found[1])

    @app.get(API_PREFIX + "/webhook-secret")
    async def webhook_secret(request: Request) -> Response:
        authorize(request)
        return _json(WebhookSecretResponse(secret=state.webhook_secret))

    @app.post(API_PREFIX + "/profiles/add")
    async def add_profile(request: Request) -> Response:
        authorize(request)
        context = {"allow_inline_training_images": True}
        parsed = parse_body(ProfileAddRequest, await read_json(request), context)
        images, notes = await decode_training_images(parsed.image_urls, own_origin(request))
        if not images:
            why = "; ".join(notes[:2])
            raise APIFailure(
                400, f"no subject detected: no training image was readable ({why})", "NO_SUBJECT"
            )
        profile = await asyncio.to_thread(
            state.profiles.add, images, parsed.training_tier, parsed.tag, notes
        )
        return _json(ProfileAddResponse(profile_id=profile.profile_id))

    @app.get(API_PREFIX + "/profiles/ids")
    async def list_profiles(request: Request, tag: str | None = None) -> Response:
        authorize(request)
        items = [
            ProfileSummary(profile_id=p.profile_id, status=state.profiles.status(p), tag=p.tag)
            for p in state.profiles.listing(tag)
        ]
        return _json(ProfileList(profiles=items))

    @app.get(API_PREFIX + "/profiles/{profile_id}/status")
    async def profile_status(profile_id: str, request: Request) -> Response:
        authorize(request)
        profile = _profile(state, profile_id)
        status = state.profiles.status(profile)
        message = state.profiles.message(profile, status)
        return _json(ProfileStatusResponse(profile_id=profile_id, status=status, message=message))

    @app.get(API_PREFIX + "/profiles/{profile_id}/profile_picture")
    async def profile_picture(profile_id: str, request: Request) -> Response:
        authorize(request)
        _profile(state, profile_id)
        picture = state.profiles.picture(profile_id)
        if picture is None:
            raise APIFailure(404, f"profile {profile_id} has no picture", "NO_PICTURE")
        return Response(content=picture, media_type="image/jpeg")

    @app.delete(API_PREFIX + "/profiles/{profile_id}")
    async def delete_profile(profile_id: str, request: Request) -> Response:
        authorize(request)
        if not state.profiles.delete(profile_id):
            raise APIFailure(404, f"profile {profile_id} not found", "PROFILE_NOT_FOUND")
        return _json(ProfileDeleteResponse(profile_id=profile_id, status="ok"))

    _describe_bodies(app)
    return app


def _over_request_rate(state: LocalState, request: Request) -> float | None:
    """Seconds to wait when this request is over its key's request rate, else None."""
    path = request.url.path
    key = request.headers.get("X-API-Key")
    if state.limiter is None or not key or not path.startswith(API_PREFIX):
        return None
    if "/_local/downloads/" in path:
        return None
    return state.limiter.take_request(key)


def _rate_limited(request_id: str, what: str, wait: float) -> JSONResponse:
    """A 429 answer in the API's error shape, with ``Retry-After``."""
    body = {"detail": f"rate limited: too many {what}", "request_id": request_id}
    body["code"] = "RATE_LIMITED"
    return JSONResponse(body, status_code=429, headers={"Retry-After": f"{wait:g}"})


def _holding_job_slot(state: LocalState, request: Request, work: Work) -> Work:
    """``work`` holding one of the key's job slots until it ends (429 when none is free)."""
    limiter = state.limiter
    key = request.headers.get("X-API-Key", "")
    if limiter is None:
        return work
    wait = limiter.start_job(key)
    if wait is not None:
        raise APIFailure(
            429,
            "rate limited: too many jobs at once for this key",
            "RATE_LIMITED",
            headers={"Retry-After": f"{wait:g}"},
        )

    async def held() -> Rendered:
        try:
            return await work()
        finally:
            limiter.end_job(key)

    return held


_IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "images (bytes mode: base64; urls mode: download links)"},
    202: {"description": "an async job was accepted (job_id, poll_url)"},
    400: {"description": "an option the model does not support"},
    422: {"description": "the body did not validate"},
}


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI requestBody of an image endpoint: the wire model's own JSON schema."""
    ref = f"#/components/schemas/{model.__name__}"
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": ref}}},
        }
    }


def _describe_bodies(app: FastAPI) -> None:
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


def _work(
    request: ImageRequest, state: LocalState, origin: tuple[str, int]
) -> Callable[[], Awaitable[Rendered]]:
    """The image work of a request, as a coroutine factory (runs the CPU part in a thread).

    Image URLs are fetched only from ``origin`` (this server's own downloads).
    """

    async def load(value: str, what: str, side: int | None) -> Image.Image:
        return await render.load_image(
            value, what, side, own_origin=origin, also_from=tuple(state.image_hosts)
        )

    async def work() -> Rendered:
        started = time.monotonic()
        async with state.slots:
            rendered = await _render(request, state, load)
        remaining = state.processing - (time.monotonic() - started)
        if remaining > 0:
            await asyncio.sleep(remaining)
        return rendered

    return work


async def _render(
    request: ImageRequest,
    state: LocalState,
    load: Callable[[str, str, int | None], Awaitable[Image.Image]],
) -> Rendered:
    """Decode a request's inputs (through ``load``) and do its image work in a thread."""
    inputs: list[Image.Image] = []
    fixed = render.FIXED_LONG_SIDE
    if isinstance(request, EditRequest):
        side = RESOLUTION_LONG_SIDE[request.resolution.value]
        for i, value in enumerate(request.images):
            inputs.append(await load(value, f"images[{i}]", side))
    elif isinstance(request, EnhanceRequest):
        inputs.append(await load(request.image, "image", fixed))
    elif isinstance(request, RemixRequest):
        inputs.append(await load(request.input_image, "input_image", fixed))
        inputs.append(await load(request.reference_image, "reference_image", fixed))
    return await asyncio.to_thread(render.render, request, inputs, state.profiles)


def _image_response(
    rendered: Rendered, request: ImageRequest, http: Request, state: LocalState
) -> Response:
    import base64

    if request.response_mode is ResponseMode.URLS:
        base = f"{str(http.base_url).rstrip('/')}{API_PREFIX}/_local/downloads"
        urls = [f"{base}/{state.downloads.put(d, rendered.output_format)}" for d in rendered.images]
        body = ImageResponse(download_urls=urls, images=[])
    else:
        images = [base64.b64encode(d).decode("ascii") for d in rendered.images]
        body = ImageResponse(images=images, download_urls=[])
    body.known_subjects = KnownSubjects(counts=rendered.known_subjects)
    return JSONResponse(body.model_dump(mode="json"), headers=_notes_header(rendered.notes))


def _notes_header(notes: list[str]) -> dict[str, str]:
    """What the local server did and did not understand, as an ASCII header (if anything)."""
    if not notes:
        return {}
    text = " | ".join(notes).encode("ascii", "replace").decode("ascii")
    return {NOTES_HEADER: text[:4000]}


def _profile(state: LocalState, profile_id: str) -> Any:
    profile = state.profiles.get(profile_id)
    if profile is None:
        raise APIFailure(404, f"profile {profile_id} not found", "PROFILE_NOT_FOUND")
    return profile


def _json(model: BaseModel) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"))
