"""Profiles: train a person's or pet's likeness once, then name it as ``[[profile_id]]``."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from phota_widgets.api.errors import (
    InvalidRequestError,
    ProfileFailedError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
)
from phota_widgets.api.images import ImageInput, is_url, sniff_format, to_wire
from phota_widgets.api.models import (
    ProfileAddRequest,
    ProfileAddResponse,
    ProfileDeleteResponse,
    ProfileList,
    ProfileStatus,
    ProfileStatusResponse,
    ProfileSummary,
)
from phota_widgets.api.transport import parse_response

if TYPE_CHECKING:
    from phota_widgets.api.client import AsyncPhotaClient

ADD_NOT_RETRIED = (
    "not sent again: training is paid and the profile may have been created anyway; check "
    "profiles.list() (give a tag and a failed add is checked and retried for you)"
)
DEFAULT_PROFILE_POLL = 15.0
"""Seconds between status polls (Phota advises 10-30 s; training takes ~20 min)."""


class AsyncProfiles:
    """The ``/profiles`` endpoints, reached as ``client.profiles``."""

    def __init__(self, client: AsyncPhotaClient) -> None:
        self._client = client

    async def add(
        self,
        image_urls: Sequence[ImageInput],
        training_tier: str = "standard",
        tag: str | None = None,
    ) -> str:
        """Start training a profile; returns its id (training then takes ~20 minutes).

        Phota trains from public http(s) URLs. A client made with ``inline_training_images=True``
        (the embedded server's) also sends local files as ``data:`` URIs.
        """
        items = [await self._training_image(img, i) for i, img in enumerate(image_urls)]
        context = {"allow_inline_training_images": self._client.inline_training_images}
        try:
            request = ProfileAddRequest.model_validate(
                {"image_urls": items, "training_tier": training_tier, "tag": tag},
                context=context,
            )
        except ValidationError as exc:
            from phota_widgets.api.messages import explain

            raise explain("profile", exc) from None
        profile_id = await self._send_add(request.model_dump(mode="json", exclude_none=True), tag)
        known = self._client.known_profile_ids
        if known is not None:
            self._client.known_profile_ids = known | {profile_id}
        return profile_id

    async def _send_add(self, body: dict[str, Any], tag: str | None) -> str:
        """POST /profiles/add; after a 5xx, a profile new under ``tag`` is the one it created.

        Training is paid and a 5xx may still have created the profile, so it is only sent again
        when a tag shows that it did not; without a tag it is not sent again.
        """
        transport = self._client.transport
        before = {p.profile_id for p in await self.list(tag)} if tag is not None else set()
        attempt = 0
        while True:
            try:
                response = await transport.request(
                    "POST", "/profiles/add", json=body, idempotent=False, retry_statuses=False
                )
            except RateLimitError as exc:  # refused before any work: safe to send again
                if attempt >= transport.retry.max_retries:
                    raise
                await asyncio.sleep(transport.retry.delay(attempt, exc.retry_after))
                attempt += 1
                continue
            except ServerError as exc:
                if tag is None:
                    exc.args = (f"{exc.args[0]}; {ADD_NOT_RETRIED}",)
                    raise
                new = [p.profile_id for p in await self.list(tag) if p.profile_id not in before]
                if new:
                    return new[0]
                if attempt >= transport.retry.max_retries:
                    raise
                await asyncio.sleep(transport.retry.delay(attempt))
                attempt += 1
                continue
            return parse_response(ProfileAddResponse, response, "profiles/add").profile_id

    async def _training_image(self, image: ImageInput, index: int) -> str:
        if is_url(image):
            assert isinstance(image, str)
            return image
        if not self._client.inline_training_images:
            raise InvalidRequestError(
                f"image_urls[{index}]: Phota trains profiles from public http(s) image URLs; "
                "upload the photos somewhere public first"
            )
        wire = await asyncio.to_thread(to_wire, image, what=f"image_urls[{index}]")
        assert wire.data is not None
        kind = sniff_format(wire.data) or "jpeg"
        return f"data:image/{kind};base64," + base64.b64encode(wire.data).decode("ascii")

    async def list(self, tag: str | None = None) -> list[ProfileSummary]:
        """The account's profiles, optionally only those with ``tag``."""
        params = {"tag": tag} if tag is not None else None
        response = await self._client.transport.request(
            "GET", "/profiles/ids", params=params, idempotent=True
        )
        profiles = parse_response(ProfileList, response, "profile list").profiles
        if tag is None:
            self._client.known_profile_ids = frozenset(p.profile_id for p in profiles)
        return profiles

    async def status(self, profile_id: str) -> ProfileStatusResponse:
        """A profile's training status."""
        response = await self._client.transport.request(
            "GET", f"/profiles/{_checked(profile_id)}/status", idempotent=True
        )
        return parse_response(ProfileStatusResponse, response, f"profile {profile_id} status")

    async def picture(self, profile_id: str) -> bytes:
        """The profile's picture (JPEG bytes)."""
        response = await self._client.transport.request(
            "GET", f"/profiles/{_checked(profile_id)}/profile_picture", idempotent=True
        )
        return response.content

    async def delete(self, profile_id: str) -> ProfileDeleteResponse:
        """Delete a profile, permanently."""
        response = await self._client.transport.request(
            "DELETE", f"/profiles/{_checked(profile_id)}", idempotent=True
        )
        known = self._client.known_profile_ids
        if known is not None:
            self._client.known_profile_ids = known - {profile_id}
        return parse_response(ProfileDeleteResponse, response, f"profile {profile_id} delete")

    async def wait_ready(
        self,
        profile_id: str,
        *,
        poll_interval: float = DEFAULT_PROFILE_POLL,
        timeout: float | None = 3600.0,
    ) -> ProfileStatusResponse:
        """Poll until the profile is READY.

        Raises:
            ProfileFailedError: training ended in ERROR or INACTIVE.
            RequestTimeoutError: ``timeout`` seconds passed first (training goes on).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = await self.status(profile_id)
            if state.status is ProfileStatus.READY:
                return state
            if state.status.is_terminal:
                raise ProfileFailedError(
                    f"profile {profile_id} ended in {state.status.value}: "
                    f"{state.message or 'no message'}",
                    profile_id=profile_id,
                    status=state.status.value,
                )
            if deadline is not None and time.monotonic() + poll_interval > deadline:
                raise RequestTimeoutError(
                    f"profile {profile_id} still {state.status.value} after {timeout}s"
                )
            await asyncio.sleep(poll_interval)


def _checked(profile_id: str) -> str:
    """A profile id safe to put in a path."""
    if not profile_id or "/" in profile_id or profile_id.strip() != profile_id:
        raise InvalidRequestError(f"not a valid profile id: {profile_id!r}")
    return profile_id
