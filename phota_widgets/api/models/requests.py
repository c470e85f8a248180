"""Request models: what each endpoint takes, every rule of ``PHOTA_API.md`` a validation rule.

Rules the real API answers with **400** (an option the model does not support) raise a
``PydanticCustomError`` of type :data:`~phota_widgets.api.models.enums.UNSUPPORTED_OPTION`, so a
server can tell them from the 422 shape errors. Requests are strict (unknown fields are refused).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from phota_widgets.api.models.enums import (
    MAX_EDIT_IMAGES,
    MAX_OUTPUT_IMAGES,
    MODEL_RESOLUTIONS,
    MODELS_WITH_QUALITY,
    TRAINING_IMAGE_COUNTS,
    UNSUPPORTED_OPTION,
    AspectRatio,
    ImageModel,
    OutputFormat,
    Quality,
    Resolution,
    ResponseMode,
    TrainingTier,
)

_PROFILE_TOKEN = re.compile(r"\[\[([^\[\]\s]+)\]\]")


def profile_tokens(prompt: str | None) -> list[str]:
    """Return the profile ids named as ``[[id]]`` in a prompt, in order, without repeats."""
    if not prompt:
        return []
    return list(dict.fromkeys(_PROFILE_TOKEN.findall(prompt)))


def referenced_profiles(params: Mapping[str, Any]) -> list[str]:
    """Profile ids request parameters name (``profile_ids`` and ``[[id]]`` tokens), in order."""
    ids = [*(params.get("profile_ids") or []), *profile_tokens(params.get("prompt"))]
    return list(dict.fromkeys(ids))


def _unsupported(message: str) -> PydanticCustomError:
    return PydanticCustomError(UNSUPPORTED_OPTION, message)


NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
ProfileId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
ClientRequestId = Annotated[str, StringConstraints(min_length=1, max_length=256)]


def _check_image_string(value: str) -> str:
    """An input image is raw base64 or a public http(s) URL; ``data:`` URIs are refused."""
    if value.startswith("data:"):
        raise ValueError("images are raw base64 without a 'data:' prefix, or an http(s) URL")
    return value


ImageString = Annotated[str, Field(min_length=1)]


# ---------------------------------------------------------------------------------------- requests


class _Request(BaseModel):
    """Fields every image endpoint takes."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, use_enum_values=False)

    num_output_images: StrictInt = Field(1, ge=1, le=MAX_OUTPUT_IMAGES)
    output_format: OutputFormat = OutputFormat.JPG
    response_mode: ResponseMode = ResponseMode.BYTES
    async_: StrictBool = Field(False, alias="async")
    callback_url: str | None = None
    client_request_id: ClientRequestId | None = None

    @model_validator(mode="after")
    def _check_async_options(self, info: ValidationInfo) -> _Request:
        if self.async_ and self.response_mode is not ResponseMode.URLS:
            raise _unsupported("async requests need response_mode='urls'")
        if self.callback_url is not None:
            if not self.async_:
                raise _unsupported("callback_url is only allowed with async requests")
            _check_callback_url(self.callback_url, info)
        return self

    def referenced_profiles(self) -> list[str]:
        """Profile ids this request names: ``profile_ids`` merged with ``[[id]]`` tokens."""
        return referenced_profiles(self.model_dump(include={"profile_ids", "prompt"}))

    def wire(self) -> dict[str, Any]:
        """The JSON body to send: aliases used, unset optional fields left out."""
        body = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        if not self.async_:
            body.pop("async", None)
        return body


def _check_callback_url(url: str, info: ValidationInfo) -> None:
    """Callbacks go to https; a server may allow http to loopback via context (tests only)."""
    if url.startswith("https://"):
        return
    context = info.context or {}
    loopback = ("http://127.0.0.1", "http://localhost", "http://[::1]")
    if context.get("allow_http_loopback_callbacks") and url.startswith(loopback):
        return
    raise _unsupported("callback_url must be an https:// URL")


class _ImageOptions(BaseModel):
    """Options of the endpoints that draw at a chosen size and model (edit, generate)."""

    aspect_ratio: AspectRatio = AspectRatio.AUTO
    resolution: Resolution = Resolution.R1K
    base_model: ImageModel = ImageModel.NB2
    quality: Quality | None = None

    @model_validator(mode="after")
    def _check_model_options(self) -> _ImageOptions:
        allowed = MODEL_RESOLUTIONS[self.base_model]
        if self.resolution not in allowed:
            names = ", ".join(r.value for r in allowed)
            raise _unsupported(
                f"resolution {self.resolution.value} is not available with base_model "
                f"{self.base_model.value} (choose {names})"
            )
        if self.quality is not None and self.base_model not in MODELS_WITH_QUALITY:
            raise _unsupported(
                "quality is only available with base_model gpt-image-2, "
                f"not {self.base_model.value}"
            )
        return self


class _Profiles(BaseModel):
    """``profile_ids`` of the endpoints that take an input photo."""

    profile_ids: list[ProfileId] | None = None

    @field_validator("profile_ids")
    @classmethod
    def _unique_ids(cls, ids: list[str] | None) -> list[str] | None:
        return list(dict.fromkeys(ids)) if ids else ids


class GenerateRequest(_ImageOptions, _Request):
    """``POST /generate``: a new image from a prompt; people only via ``[[id]]`` in the prompt."""

    prompt: NonEmptyStr


class EditRequest(_ImageOptions, _Profiles, _Request):
    """``POST /edit``: change 1..10 photos as a prompt says."""

    images: list[ImageString] = Field(min_length=1, max_length=MAX_EDIT_IMAGES)
    prompt: NonEmptyStr

    @field_validator("images")
    @classmethod
    def _image_strings(cls, images: list[str]) -> list[str]:
        return [_check_image_string(s) for s in images]


class EnhanceRequest(_Profiles, _Request):
    """``POST /enhance``: automatic improvement of one photo (Nano Banana 2 at 2K)."""

    image: ImageString
    prompt: str | None = None

    @field_validator("image")
    @classmethod
    def _image_string(cls, image: str) -> str:
        return _check_image_string(image)


class RemixRequest(_Profiles, _Request):
    """``POST /remix``: the input photo in the reference image's style (keeps input aspect)."""

    input_image: ImageString
    reference_image: ImageString
    prompt: str | None = None

    @field_validator("input_image", "reference_image")
    @classmethod
    def _image_strings(cls, image: str) -> str:
        return _check_image_string(image)


ImageRequest = GenerateRequest | EditRequest | EnhanceRequest | RemixRequest

REQUEST_MODELS: dict[str, type[GenerateRequest | EditRequest | EnhanceRequest | RemixRequest]] = {
    "generate": GenerateRequest,
    "edit": EditRequest,
    "enhance": EnhanceRequest,
    "remix": RemixRequest,
}


class ProfileAddRequest(BaseModel):
    """``POST /profiles/add``: train a profile from public image URLs."""

    model_config = ConfigDict(extra="forbid")

    image_urls: list[Annotated[str, Field(min_length=1)]]
    training_tier: TrainingTier = TrainingTier.STANDARD
    tag: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None

    @model_validator(mode="after")
    def _check_images(self, info: ValidationInfo) -> ProfileAddRequest:
        low, high = TRAINING_IMAGE_COUNTS[self.training_tier]
        count = len(self.image_urls)
        if not low <= count <= high:
            given = "none were" if count == 0 else f"{count} {'was' if count == 1 else 'were'}"
            raise _unsupported(
                f"A {self.training_tier.value} profile is trained from {low} to {high} photos "
                f"of one person; {given} given."
            )
        inline_ok = bool((info.context or {}).get("allow_inline_training_images"))
        for url in self.image_urls:
            if not url.startswith(("https://", "http://")) and not inline_ok:
                raise _unsupported(
                    f"Phota trains profiles from public http(s) image URLs; {url[:40]!r} is not one"
                )
        return self
