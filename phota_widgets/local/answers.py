"""How the embedded server answers: the image work of a request (inputs loaded, rendered in a
thread within a render slot, held in one of the key's job slots), 429s at a key's rate limits,
and the response bodies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from PIL import Image
from pydantic import BaseModel

from phota_widgets.api.models import (
    EditRequest,
    EnhanceRequest,
    ImageRequest,
    ImageResponse,
    KnownSubjects,
    RemixRequest,
    ResponseMode,
)
from phota_widgets.local import render
from phota_widgets.local.engine import RESOLUTION_LONG_SIDE
from phota_widgets.local.faults import API_PREFIX
from phota_widgets.local.jobs import Rendered, Work
from phota_widgets.local.state import APIFailure, LocalState

NOTES_HEADER = "X-Phota-Local-Notes"


def over_request_rate(state: LocalState, request: Request) -> float | None:
    """Seconds to wait when this request is over its key's request rate, else None."""
    path = request.url.path
    key = request.headers.get("X-API-Key")
    if state.limiter is None or not key or not path.startswith(API_PREFIX):
        return None
    if "/_local/downloads/" in path:
        return None
    return state.limiter.take_request(key)


def rate_limited(request_id: str, what: str, wait: float) -> JSONResponse:
    """A 429 answer in the API's error shape, with ``Retry-After``."""
    body = {"detail": f"rate limited: too many {what}", "request_id": request_id}
    body["code"] = "RATE_LIMITED"
    return JSONResponse(body, status_code=429, headers={"Retry-After": f"{wait:g}"})


def holding_job_slot(state: LocalState, request: Request, work: Work) -> Work:
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


def image_work(
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


def image_response(
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
    return JSONResponse(body.model_dump(mode="json"), headers=notes_header(rendered.notes))


def notes_header(notes: list[str]) -> dict[str, str]:
    """What the local server did and did not understand, as an ASCII header (if anything)."""
    if not notes:
        return {}
    text = " | ".join(notes).encode("ascii", "replace").decode("ascii")
    return {NOTES_HEADER: text[:4000]}


def profile_of(state: LocalState, profile_id: str) -> Any:
    profile = state.profiles.get(profile_id)
    if profile is None:
        raise APIFailure(404, f"profile {profile_id} not found", "PROFILE_NOT_FOUND")
    return profile


def json_answer(model: BaseModel) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"))
