"""``AsyncPhotaClient``: every Phota endpoint, awaited (the blocking one is in ``sync.py``)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

import httpx
from pydantic import ValidationError

from phota_widgets.api.errors import InvalidRequestError
from phota_widgets.api.images import ImageInput, WireImage, to_wire
from phota_widgets.api.jobs import AsyncJob
from phota_widgets.api.messages import explain
from phota_widgets.api.models import (
    REQUEST_MODELS,
    ImageRequest,
    ImageResponse,
    JobHandle,
    WebhookSecretResponse,
)
from phota_widgets.api.polling import DurationBook
from phota_widgets.api.prices import DEFAULT_PRICE_TABLE, PriceTable
from phota_widgets.api.profiles import AsyncProfiles
from phota_widgets.api.results import OutputImage, Result
from phota_widgets.api.transport import (
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    NOTES_HEADER,
    REQUEST_ID_HEADER,
    Transport,
    mask,
    parse_response,
    resolve_api_key,
    split_notes,
)

IMAGE_FIELDS = ("images", "image", "input_image", "reference_image")
ImageCallback = Callable[[OutputImage], Awaitable[None] | None]
"""Called with each output image as soon as it has arrived; an awaitable it returns (e.g. a write
made on another thread) is awaited before the output counts as received."""

TRANSPORT_FIELDS = {"async_", "response_mode", "callback_url", "client_request_id"}
"""How a request travels, not what it asks for: left out of the recorded parameters."""


def validation_message(endpoint: str, exc: ValidationError) -> str:
    """The problems as sentences in the user's words (see ``api/messages.py``)."""
    return str(explain(endpoint, exc))


class AsyncPhotaClient:
    """Async client for the Phota API.

    Args:
        api_key: the key; defaults to ``PHOTA_API_KEY``. Kept private: never shown or logged.
        base_url: the API root; defaults to ``PHOTA_BASE_URL`` or Phota's production URL.
        timeout: seconds or an ``httpx.Timeout`` (default: 10 s connect, 600 s read).
        max_retries: retries of failures that are safe to repeat (see ``api/retry.py``).
        http_client: an ``httpx.AsyncClient`` to share (its lifetime is then yours).
        prices: the price table for cost estimates.
        inline_training_images: send local training images as ``data:`` URIs (only the
            embedded server accepts them; Phota trains from public URLs).
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = 2,
        http_client: httpx.AsyncClient | None = None,
        prices: PriceTable = DEFAULT_PRICE_TABLE,
        inline_training_images: bool = False,
    ) -> None:
        import os

        self._transport = Transport(
            api_key=resolve_api_key(api_key),
            base_url=base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
        )
        self.prices = prices
        self.inline_training_images = inline_training_images
        self.known_profile_ids: frozenset[str] | None = None
        """Profile ids known to exist (set by ``profiles.list()``); None when unknown."""
        self.profiles = AsyncProfiles(self)
        self.durations = DurationBook()
        """How long this client's finished jobs took, by kind: polls follow it."""

    # -- configuration ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API root requests go to."""
        return self._transport.base_url

    @property
    def transport(self) -> Transport:
        """The HTTP layer (pool, retries, error mapping)."""
        return self._transport

    def with_options(
        self, *, timeout: float | httpx.Timeout | None = None, max_retries: int | None = None
    ) -> AsyncPhotaClient:
        """A client sharing this one's connections and key, with another timeout or retries."""
        clone = object.__new__(AsyncPhotaClient)
        clone.__dict__.update(self.__dict__)
        clone._transport = self._transport.copy(timeout=timeout, max_retries=max_retries)
        clone.profiles = AsyncProfiles(clone)
        return clone

    def __repr__(self) -> str:
        return f"AsyncPhotaClient(base_url={self.base_url!r}, api_key={mask(self._key_for_repr)})"

    @property
    def _key_for_repr(self) -> str | None:
        return "set" if self._transport.has_key else None

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._transport.close()

    async def __aenter__(self) -> AsyncPhotaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- image endpoints -------------------------------------------------------------------------

    async def generate(
        self,
        prompt: str,
        *,
        num_output_images: int = 1,
        aspect_ratio: str = "auto",
        resolution: str = "1K",
        base_model: str = "nb2",
        quality: str | None = None,
        output_format: str = "jpg",
        response_mode: str = "bytes",
    ) -> Result:
        """Draw new images from a prompt; people appear through ``[[profile_id]]`` tokens."""
        return await self.run("generate", _params(locals()))

    async def edit(
        self,
        prompt: str,
        images: ImageInput | Sequence[ImageInput],
        *,
        profile_ids: Sequence[str] | None = None,
        num_output_images: int = 1,
        aspect_ratio: str = "auto",
        resolution: str = "1K",
        base_model: str = "nb2",
        quality: str | None = None,
        output_format: str = "jpg",
        response_mode: str = "bytes",
    ) -> Result:
        """Change 1..10 photos as the prompt says."""
        return await self.run("edit", _params(locals()))

    async def enhance(
        self,
        image: ImageInput,
        *,
        prompt: str | None = None,
        profile_ids: Sequence[str] | None = None,
        num_output_images: int = 1,
        output_format: str = "jpg",
        response_mode: str = "bytes",
    ) -> Result:
        """Improve a photo automatically (exposure, colour, detail); a prompt may steer it."""
        return await self.run("enhance", _params(locals()))

    async def remix(
        self,
        input_image: ImageInput,
        reference_image: ImageInput,
        *,
        prompt: str | None = None,
        profile_ids: Sequence[str] | None = None,
        num_output_images: int = 1,
        output_format: str = "jpg",
        response_mode: str = "bytes",
    ) -> Result:
        """Re-render a photo in a reference image's style, keeping its content and aspect."""
        return await self.run("remix", _params(locals()))

    async def run(
        self,
        endpoint: str,
        params: Mapping[str, Any],
        on_image: ImageCallback | None = None,
    ) -> Result:
        """Send a sync image request (``endpoint`` is generate, edit, enhance or remix).

        Args:
            on_image: called with each output as soon as it is here.
        """
        request, described = await self.prepare(endpoint, params)
        started = time.perf_counter()
        response = await self._transport.request(
            "POST", f"/{endpoint}", json=request.wire(), idempotent=False, sync_image=True
        )
        body = parse_response(ImageResponse, response, f"{endpoint} (images may be paid for)")
        result = await self.result_from(endpoint, body, described, on_image)
        result.request_id = response.headers.get(REQUEST_ID_HEADER)
        result.notes = split_notes(response.headers.get(NOTES_HEADER))
        result.elapsed = time.perf_counter() - started
        return result

    async def submit(
        self,
        endpoint: str,
        *,
        callback_url: str | None = None,
        client_request_id: str | None = None,
        **params: Any,
    ) -> AsyncJob:
        """Start an async job (``async: true``, urls mode) and return its handle at once.

        A ``client_request_id`` is always sent (a new one unless given), so a retried or repeated
        submit returns the same job and is never paid twice.
        """
        params = {
            **params,
            "async_": True,
            "response_mode": "urls",
            "callback_url": callback_url,
            "client_request_id": client_request_id,
        }
        if client_request_id is None:
            params["client_request_id"] = uuid.uuid4().hex
        request, described = await self.prepare(endpoint, params)
        response = await self._transport.request(
            "POST", f"/{endpoint}", json=request.wire(), idempotent=True
        )
        handle = parse_response(JobHandle, response, f"{endpoint} submit")
        job = AsyncJob(
            self,
            handle.job_id,
            endpoint=endpoint,
            client_request_id=request.client_request_id,
            request=described,
            poll_url=handle.poll_url,
            submitted=True,
        )
        job.request_id = response.headers.get(REQUEST_ID_HEADER)
        return job

    async def get_job(self, job_id: str, *, endpoint: str | None = None) -> AsyncJob:
        """A handle on an existing job, with its current state fetched."""
        job = AsyncJob(self, job_id, endpoint=endpoint)
        await job.refresh()
        return job

    async def webhook_secret(self) -> str:
        """The account's secret for verifying job callbacks."""
        response = await self._transport.request("GET", "/webhook-secret", idempotent=True)
        return parse_response(WebhookSecretResponse, response, "webhook secret").secret

    # -- shared steps ----------------------------------------------------------------------------

    async def prepare(
        self, endpoint: str, params: Mapping[str, Any]
    ) -> tuple[ImageRequest, dict[str, Any]]:
        """Validate a request before anything is sent.

        Returns:
            The validated request, and the parameters as recorded (images described, not bytes).

        Raises:
            InvalidRequestError: anything the server would refuse.
        """
        model = REQUEST_MODELS.get(endpoint)
        if model is None:
            raise InvalidRequestError(
                f"unknown endpoint {endpoint!r}: choose one of {', '.join(REQUEST_MODELS)}"
            )
        if has_unencoded_images(params):  # reading and encoding files: off the loop
            wire, described = await asyncio.to_thread(_wire_and_describe, params)
        else:  # nothing to read: a thread hop would cost more than the work
            wire, described = _wire_and_describe(params)
        try:
            request = model.model_validate(wire)
        except ValidationError as exc:
            raise explain(endpoint, exc) from None
        self._check_profiles(request.referenced_profiles())
        recorded = request.model_dump(mode="json", exclude_none=True, exclude=TRANSPORT_FIELDS)
        recorded.update(described)
        return request, recorded

    def _check_profiles(self, ids: Iterable[str]) -> None:
        if self.known_profile_ids is None:
            return
        unknown = [i for i in ids if i not in self.known_profile_ids]
        if unknown:
            raise InvalidRequestError(
                f"unknown profile id(s): {', '.join(unknown)} "
                "(not in this account's profile list; call profiles.list() to refresh it)"
            )

    async def result_from(
        self,
        endpoint: str,
        body: ImageResponse,
        described: Mapping[str, Any],
        on_image: ImageCallback | None = None,
    ) -> Result:
        """Build a Result, downloading ``download_urls`` at once (they expire).

        Args:
            on_image: called with each output as soon as it is here (e.g. to save it at once).
        """
        if body.images:
            outputs = [OutputImage(i, b64=b64) for i, b64 in enumerate(body.images)]
            if on_image is not None:
                for image in outputs:
                    await _deliver(on_image, image)
        else:

            async def fetch(index: int, url: str) -> OutputImage:
                image = OutputImage(index, data=await self._transport.download(url), url=url)
                if on_image is not None:
                    await _deliver(on_image, image)
                return image

            outputs = list(
                await asyncio.gather(*(fetch(i, u) for i, u in enumerate(body.download_urls)))
            )
        counts = dict(body.known_subjects.counts) if body.known_subjects else {}
        return Result(
            endpoint=endpoint,
            images=outputs,
            known_subjects=counts,
            request=dict(described),
            cost_estimate=self.prices.estimate(endpoint, described, counts),
        )


async def _deliver(on_image: ImageCallback, image: OutputImage) -> None:
    """Hand one output to ``on_image``, awaiting what it returns (if anything)."""
    pending = on_image(image)
    if pending is not None:
        await pending


def _params(call_locals: Mapping[str, Any]) -> dict[str, Any]:
    """A method's arguments as request parameters (``self`` and unset options left out)."""
    return {k: v for k, v in call_locals.items() if k != "self" and v is not None}


def encode_images(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters with every image argument encoded once: a WireImage (a list for ``images``).

    Already-encoded WireImages pass through untouched, so encoding twice costs nothing.
    """
    out = dict(params)
    for name in IMAGE_FIELDS:
        if name not in out:
            continue
        value = out[name]
        if name == "images":
            items = list(value) if isinstance(value, (list, tuple)) else [value]
            out[name] = [to_wire(img, what=f"images[{i}]") for i, img in enumerate(items)]
        else:
            out[name] = to_wire(value, what=name)
    return out


def has_unencoded_images(params: Mapping[str, Any]) -> bool:
    """Whether any image argument still needs reading or encoding (not yet a WireImage)."""
    for name in IMAGE_FIELDS:
        value = params.get(name)
        items = value if isinstance(value, (list, tuple)) else [value]
        if any(item is not None and not isinstance(item, WireImage) for item in items):
            return True
    return False


def _wire_and_describe(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body's fields (images as wire strings) and each image field as recorded (hashes)."""
    encoded = encode_images({k: v for k, v in params.items() if v is not None})
    wire = {("async" if k == "async_" else k): v for k, v in encoded.items()}
    described: dict[str, Any] = {}
    for name in IMAGE_FIELDS:
        value = encoded.get(name)
        if isinstance(value, list):
            wire[name] = [w.value for w in value]
            described[name] = [_describe(w) for w in value]
        elif isinstance(value, WireImage):
            wire[name] = value.value
            described[name] = _describe(value)
    return wire, described


def _describe(image: WireImage) -> str:
    return f"sha256:{image.sha256}" if image.sha256 else image.description
