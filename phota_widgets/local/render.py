"""The embedded server's image work for each endpoint: decode inputs, process, encode outputs."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Iterable, Iterator, Sequence
from urllib.parse import urlsplit

import httpx
from PIL import Image

from phota_widgets.api.models import (
    MAX_INPUT_SIDE,
    EditRequest,
    EnhanceRequest,
    GenerateRequest,
    ImageRequest,
    ProfileStatus,
    RemixRequest,
)
from phota_widgets.local import colour, engine, instructions, looks, operations, retouch, scene
from phota_widgets.local.jobs import Rendered, WorkFailed
from phota_widgets.local.profiles import ProfileRegistry, ready_portraits

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
FIXED_LONG_SIDE = 2048
"""Enhance and remix are fixed to 2K."""
RESHAPING = frozenset({"rotate", "crop", "extend"})
"""Edit operations that change a picture's size or aspect (the output is fitted after them)."""


def check_profiles(registry: ProfileRegistry, ids: Sequence[str]) -> None:
    """Refuse unknown (404) and not-ready (400) profiles, as the real API would."""
    for pid in ids:
        profile = registry.get(pid)
        if profile is None:
            raise WorkFailed(404, f"profile {pid} not found", "PROFILE_NOT_FOUND")
        status = registry.status(profile)
        if status is not ProfileStatus.READY:
            raise WorkFailed(
                400, f"profile {pid} is {status.value}, not READY", "PROFILE_NOT_READY"
            )


async def load_image(
    value: str,
    what: str,
    max_side: int | None = None,
    *,
    own_origin: tuple[str, int] | None = None,
    also_from: Collection[tuple[str, int]] = (),
) -> Image.Image:
    """Decode a wire image: raw base64, or a URL on this server itself (its own downloads).

    The server is offline, and fetching other loopback or private addresses would let a request
    reach services behind it, so any other URL is refused.
    """
    if value.startswith(("http://", "https://")):
        try:
            parts = urlsplit(value)
            host = parts.hostname or ""
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise WorkFailed(400, f"{what}: not a valid URL", "INVALID_IMAGE") from None
        allowed = [*([own_origin] if own_origin else []), *also_from]
        if not any(_same_origin((host, port), origin) for origin in allowed):
            raise WorkFailed(
                400,
                f"{what}: the offline stand-in server cannot download photos from {host} (it "
                f"fetches only its own links, not {value[:200]}). Upload the photo or choose the "
                "file instead (or use a Phota API key).",
                "IMAGE_FETCH_FAILED",
            )
        try:
            async with httpx.AsyncClient(timeout=30.0) as client:
                response = await client.get(value)
                response.raise_for_status()
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            detail = f"{what}: could not fetch {value}: {exc}"
            raise WorkFailed(400, detail, "IMAGE_FETCH_FAILED") from None
        data = response.content
    else:
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise WorkFailed(400, f"{what}: not valid base64", "INVALID_IMAGE") from None
    return decode(data, what, max_side)


def _same_origin(a: tuple[str, int], b: tuple[str, int]) -> bool:
    """Same port, and the same host (any loopback name counts as the same loopback host)."""
    if a[1] != b[1]:
        return False
    return a[0] == b[0] or (a[0] in LOOPBACK_HOSTS and b[0] in LOOPBACK_HOSTS)


def decode(data: bytes, what: str, max_side: int | None = None) -> Image.Image:
    """Decode image bytes, downscaling anything over 4096 px (as Phota does).

    ``max_side`` lets a JPEG decode at reduced scale when the work needs no more pixels.
    """
    try:
        img = engine.decode_image(data, max_side=max_side or MAX_INPUT_SIDE)
    except engine.ImageInputError as exc:
        raise WorkFailed(400, f"{what}: {exc}", "INVALID_IMAGE") from None
    if max(img.size) > MAX_INPUT_SIDE:
        img.thumbnail((MAX_INPUT_SIDE, MAX_INPUT_SIDE), Image.Resampling.LANCZOS)
    return img


EDIT_JITTER = 0.3
"""How far an edit's call may stray from another's (a generate's strays fully)."""


def render(
    request: ImageRequest,
    inputs: Sequence[Image.Image],
    registry: ProfileRegistry,
) -> Rendered:
    """Do a validated request's image work on its decoded inputs (CPU-bound: run in a thread)."""
    profiles = request.referenced_profiles()
    count = request.num_output_images
    notes: list[str] = []
    outputs: Iterator[Image.Image]
    if isinstance(request, GenerateRequest):
        size = engine.output_size(request.aspect_ratio.value, request.resolution.value, None)
        portraits = ready_portraits(registry, profiles)
        prompt = request.prompt
        seed = looks.request_seed(request)
        outputs = (
            looks.apply(
                scene.generate(prompt, size, variation=i, portraits=portraits, salt=seed),
                request.base_model.value,
                looks.call_rng(seed, i),
            )
            for i in range(count)
        )
        notes.extend(scene.notes(request.prompt))
    elif isinstance(request, EditRequest):
        outputs = _edit(request, inputs, ready_portraits(registry, profiles), notes)
    elif isinstance(request, EnhanceRequest):
        enhance_prompt = request.prompt
        outputs = (
            retouch.enhance(
                inputs[0], prompt=enhance_prompt, variation=i, long_side=FIXED_LONG_SIDE
            )
            for i in range(count)
        )
    elif isinstance(request, RemixRequest):
        remix_prompt = request.prompt
        outputs = (
            colour.remix(
                inputs[0], inputs[1], prompt=remix_prompt, variation=i, long_side=FIXED_LONG_SIDE
            )
            for i in range(count)
        )
    else:  # pragma: no cover - the request models are a closed set
        raise TypeError(type(request).__name__)
    fmt = request.output_format.value
    return Rendered(
        images=encode_each(outputs, fmt),
        output_format=fmt,
        known_subjects={pid: count for pid in profiles},
        notes=notes,
    )


def encode_each(outputs: Iterable[Image.Image], fmt: str) -> list[bytes]:
    """Encode each output as soon as it is drawn, so only one raster is alive at a time."""
    encoded = []
    for img in outputs:
        encoded.append(engine.encode(img, fmt))
        del img  # the next output is drawn with this one's raster given back
    return encoded


def _edit(
    request: EditRequest,
    inputs: Sequence[Image.Image],
    portraits: Sequence[Image.Image],
    notes: list[str],
) -> Iterator[Image.Image]:
    """Apply the prompt's operations to the first image; further images become insets."""
    parsed = instructions.parse(request.prompt)
    notes.extend(parsed.notes)
    if parsed.operations:
        notes.append("applied: " + ", ".join(op.name for op in parsed.operations))
    if len(inputs) > 1:
        notes.append(f"images 2..{len(inputs)} were placed as insets on image 1")
    long_side = engine.RESOLUTION_LONG_SIDE[request.resolution.value]
    base = inputs[0]
    if not any(op.name in RESHAPING for op in parsed.operations):
        # Nothing changes the picture's shape: size it first, so every step works on the
        # output's pixels (the input was already decoded at reduced scale where it could be).
        size = engine.output_size(request.aspect_ratio.value, request.resolution.value, base.size)
        base = engine.fit(base, size)
    elif max(base.size) > long_side:
        base = base.copy()
        base.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    extras = [*inputs[1:], *portraits]
    return _edit_outputs(request, base, parsed, extras)


def _edit_outputs(
    request: EditRequest,
    base: Image.Image,
    parsed: instructions.Instructions,
    extras: Sequence[Image.Image],
) -> Iterator[Image.Image]:
    """Each edited output, drawn when asked for."""
    seed = looks.request_seed(request)
    for i in range(request.num_output_images):
        img = operations.apply(base, parsed, variation=i)
        img = looks.apply(
            img, request.base_model.value, looks.call_rng(seed, i), jitter=EDIT_JITTER
        )
        size = engine.output_size(request.aspect_ratio.value, request.resolution.value, img.size)
        if img.size != size:
            img = engine.fit(img, size)
        for slot, extra in enumerate(extras):
            img = engine.paste_portrait(img, extra, slot, len(extras))
        yield img
