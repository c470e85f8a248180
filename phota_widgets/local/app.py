"""The embedded Phota-compatible API: a FastAPI app on the wire layer's own models.

Same paths under ``/v1/phota``, same auth (``X-API-Key``: missing 403, wrong 401), same status
codes and error bodies (``{"detail", "request_id", "code"}``; 422 in FastAPI's shape), and
``X-Request-Id`` on every answer. It is a local stand-in and says so in ``X-Phota-Local``.

This module holds the routes; what they use: :mod:`.state` (what the app holds, the error
answer), :mod:`.bodies` (reading and validating bodies) and :mod:`.answers` (the image work,
rate limits, response bodies).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from phota_widgets.api.models import (
    REQUEST_MODELS,
    ImageRequest,
    JobHandle,
    ProfileAddRequest,
    ProfileAddResponse,
    ProfileDeleteResponse,
    ProfileList,
    ProfileStatusResponse,
    ProfileSummary,
    WebhookSecretResponse,
)
from phota_widgets.local import render
from phota_widgets.local.answers import (
    holding_job_slot,
    image_response,
    image_work,
    json_answer,
    notes_header,
    over_request_rate,
    profile_of,
    rate_limited,
)
from phota_widgets.local.bodies import (
    IMAGE_RESPONSES,
    body_schema,
    check,
    describe_bodies,
    own_origin,
    parse_body,
    read_json,
)
from phota_widgets.local.faults import API_PREFIX
from phota_widgets.local.jobs import WorkFailed
from phota_widgets.local.state import APIFailure, LocalState
from phota_widgets.local.training import decode_training_images

logger = logging.getLogger("phota_widgets.local")

STAND_IN_NOTICE = "phota-widgets embedded server: a local stand-in for the Phota API"


def create_app(state: LocalState) -> FastAPI:
    """Build the app serving ``state``."""
    app = FastAPI(title="Phota API (phota-widgets embedded server)", version="0.7.0-local")
    app.state.local = state

    @app.middleware("http")
    async def request_ids(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.request_id = uuid.uuid4().hex
        wait = over_request_rate(state, request)
        response: Response
        if wait is not None:
            response = rate_limited(request.state.request_id, "requests per second", wait)
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
        work = image_work(parsed, state, own_origin(request))  # fetches from itself (+ image_hosts)
        if not (parsed.async_ and state.jobs.accepted(parsed.client_request_id)):
            work = holding_job_slot(state, request, work)
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
        return image_response(rendered, parsed, request, state)

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
            openapi_extra=body_schema(model),
            responses=IMAGE_RESPONSES,
        )

    @app.get(API_PREFIX + "/jobs/{job_id}")
    async def get_job(job_id: str, request: Request) -> Response:
        authorize(request)
        job = state.jobs.get(job_id)
        if job is None:
            raise APIFailure(404, f"job {job_id} not found", "JOB_NOT_FOUND")
        return JSONResponse(job.body().model_dump(mode="json"), headers=notes_header(job.notes))

    @app.get(API_PREFIX + "/_local/downloads/{token}")
    async def download(token: str) -> Response:
        found = state.downloads.get(token)
        if found is None:
            raise APIFailure(404, "download link unknown or expired", "DOWNLOAD_EXPIRED")
        return Response(content=found[0], media_type=found[1])

    @app.get(API_PREFIX + "/webhook-secret")
    async def webhook_secret(request: Request) -> Response:
        authorize(request)
        return json_answer(WebhookSecretResponse(secret=state.webhook_secret))

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
        return json_answer(ProfileAddResponse(profile_id=profile.profile_id))

    @app.get(API_PREFIX + "/profiles/ids")
    async def list_profiles(request: Request, tag: str | None = None) -> Response:
        authorize(request)
        items = [
            ProfileSummary(profile_id=p.profile_id, status=state.profiles.status(p), tag=p.tag)
            for p in state.profiles.listing(tag)
        ]
        return json_answer(ProfileList(profiles=items))

    @app.get(API_PREFIX + "/profiles/{profile_id}/status")
    async def profile_status(profile_id: str, request: Request) -> Response:
        authorize(request)
        profile = profile_of(state, profile_id)
        status = state.profiles.status(profile)
        message = state.profiles.message(profile, status)
        return json_answer(
            ProfileStatusResponse(profile_id=profile_id, status=status, message=message)
        )

    @app.get(API_PREFIX + "/profiles/{profile_id}/profile_picture")
    async def profile_picture(profile_id: str, request: Request) -> Response:
        authorize(request)
        profile_of(state, profile_id)
        picture = state.profiles.picture(profile_id)
        if picture is None:
            raise APIFailure(404, f"profile {profile_id} has no picture", "NO_PICTURE")
        return Response(content=picture, media_type="image/jpeg")

    @app.delete(API_PREFIX + "/profiles/{profile_id}")
    async def delete_profile(profile_id: str, request: Request) -> Response:
        authorize(request)
        if not state.profiles.delete(profile_id):
            raise APIFailure(404, f"profile {profile_id} not found", "PROFILE_NOT_FOUND")
        return json_answer(ProfileDeleteResponse(profile_id=profile_id, status="ok"))

    describe_bodies(app)
    return app
