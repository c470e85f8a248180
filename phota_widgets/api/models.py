"""The wire contract: request and response models of the Phota API (v0.7.0).

One set of models serves both sides. The client validates a request with them before sending
anything, and the embedded server validates what arrives with the same models. Every rule in
``PHOTA_API.md`` is a validation rule here.

Rules the real API answers with **400** (an option the model does not support) raise a
``PydanticCustomError`` of type :data:`UNSUPPORTED_OPTION`, so a server can tell them from the
422 shape errors.

Requests are strict (unknown fields are refused); responses are lenient (unknown fields are kept),
so a newer API does not break older clients.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
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

UNSUPPORTED_OPTION = "unsupported_option"
"""Error type of the rules the API answers with 400 rather than 422."""


class AspectRatio(str, Enum):
    """Output aspect ratio (edit and generate)."""

    AUTO = "auto"
    SQUARE = "1:1"
    PORTRAIT_3_4 = "3:4"
    LANDSCAPE_4_3 = "4:3"
    PORTRAIT_9_16 = "9:16"
    LANDSCAPE_16_9 = "16:9"


class Resolution(str, Enum):
    """Output resolution: the long side is 1024, 2048 or 4096 px."""

    R1K = "1K"
    R2K = "2K"
    R4K = "4K"


class ImageModel(str, Enum):
    """Base image model (edit and generate)."""

    NB2 = "nb2"
    GPT_IMAGE_2 = "gpt-image-2"
    QWEN_IMAGE_2 = "qwen-image-2"
    FLUX_2 = "flux-2"
    REVE = "reve"


class Quality(str, Enum):
    """Rendering quality; only ``gpt-image-2`` takes it."""

    AUTO = "auto"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class OutputFormat(str, Enum):
    """Encoding of output images."""

    PNG = "png"
    JPG = "jpg"


class ResponseMode(str, Enum):
    """``bytes``: base64 in ``images``; ``urls``: signed links in ``download_urls``."""

    BYTES = "bytes"
    URLS = "urls"


class TrainingTier(str, Enum):
    """Profile training tier."""

    STANDARD = "standard"
    FAST = "fast"


class ProfileStatus(str, Enum):
    """Lifecycle of a profile."""

    VALIDATING = "VALIDATING"
    QUEUING = "QUEUING"
    IN_PROGRESS = "IN_PROGRESS"
    READY = "READY"
    ERROR = "ERROR"
    INACTIVE = "INACTIVE"

    @property
    def is_terminal(self) -> bool:
        """Whether training has ended (ready or failed)."""
        return self in (ProfileStatus.READY, ProfileStatus.ERROR, ProfileStatus.INACTIVE)


class JobStatus(str, Enum):
    """Lifecycle of an asynchronous job."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        """Whether the job has ended."""
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED)


Endpoint = str
ENDPOINTS: tuple[str, ...] = ("edit", "generate", "enhance", "remix")

MODEL_RESOLUTIONS: dict[ImageModel, tuple[Resolution, ...]] = {
    ImageModel.NB2: (Resolution.R1K, Resolution.R2K, Resolution.R4K),
    ImageModel.GPT_IMAGE_2: (Resolution.R1K, Resolution.R2K, Resolution.R4K),
    ImageModel.QWEN_IMAGE_2: (Resolution.R1K, Resolution.R2K),
    ImageModel.FLUX_2: (Resolution.R1K, Resolution.R2K),
    ImageModel.REVE: (Resolution.R1K,),
}
"""Resolutions each base model supports; any other is a 400."""

MODELS_WITH_QUALITY: frozenset[ImageModel] = frozenset({ImageModel.GPT_IMAGE_2})

MODEL_NAMES: dict[ImageModel, str] = {
    ImageModel.NB2: "Nano Banana 2",
    ImageModel.GPT_IMAGE_2: "GPT Image 2",
    ImageModel.QWEN_IMAGE_2: "Qwen Image 2",
    ImageModel.FLUX_2: "Flux 2 Dev",
    ImageModel.REVE: "Reve",
}

TRAINING_IMAGE_COUNTS: dict[TrainingTier, tuple[int, int]] = {
    TrainingTier.STANDARD: (10, 50),
    TrainingTier.FAST: (5, 10),
}
"""Inclusive (min, max) number of training images per tier."""

MAX_OUTPUT_IMAGES = 4
MAX_EDIT_IMAGES = 10
MAX_INPUT_SIDE = 4096

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


# --------------------------------------------------------------------------------------- responses


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


def _lenient_status(data: Any, enum: type[Enum], unknown: Enum) -> Any:
    """Map a status we do not know to ``unknown`` (not finished), keeping what was said.

    Status names are matched case-insensitively; the server's own word is kept in
    ``reported_status`` either way.
    """
    if not isinstance(data, dict) or data.get("status") is None:
        return data
    value = data["status"]
    said = str(value.value if isinstance(value, Enum) else value)
    known = {str(m.value).casefold(): m for m in enum}
    return {**data, "status": known.get(said.casefold(), unknown), "reported_status": said}


class KnownSubjects(_Response):
    """Profiles recognised in the outputs: the billing signal."""

    counts: dict[str, int] = Field(default_factory=dict)


class ImageResponse(_Response):
    """Answer of all four image endpoints."""

    images: list[str] = Field(default_factory=list)
    download_urls: list[str] = Field(default_factory=list)
    known_subjects: KnownSubjects | None = None

    @field_validator("images", "download_urls", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class JobHandle(_Response):
    """Answer (202) to an async request."""

    job_id: str
    poll_url: str | None = None


class JobError(_Response):
    """Why a job failed."""

    detail: str = ""
    code: str | None = None


class JobBody(_Response):
    """``GET /jobs/{id}``: a job's state, its result once it succeeded (the shape is our guess).

    Read leniently: a status we do not know counts as still running (a paid job never looks
    failed because of a new word), and a result is looked for under ``result`` and at the top
    level. ``reported_status`` keeps the server's own word.
    """

    job_id: str
    status: JobStatus
    reported_status: str = Field(default="", exclude=True)
    result: ImageResponse | None = None
    error: JobError | None = None

    @model_validator(mode="before")
    @classmethod
    def _lenient(cls, data: Any) -> Any:
        data = _lenient_status(data, JobStatus, JobStatus.RUNNING)
        top_level = isinstance(data, dict) and (data.get("images") or data.get("download_urls"))
        if top_level and data.get("result") is None:
            keys = ("images", "download_urls", "known_subjects")
            data = {**data, "result": {k: data[k] for k in keys if k in data}}
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            data = {**data, "error": {"detail": data["error"]}}
        return data


class ProfileAddResponse(_Response):
    """Answer to ``POST /profiles/add``."""

    profile_id: str


class ProfileSummary(_Response):
    """One element of ``GET /profiles/ids`` (bare id strings are accepted too)."""

    profile_id: str
    status: ProfileStatus | None = None
    reported_status: str = Field(default="", exclude=True)
    tag: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _lenient(cls, data: Any) -> Any:
        return _lenient_status(data, ProfileStatus, ProfileStatus.IN_PROGRESS)


class ProfileList(_Response):
    """Answer to ``GET /profiles/ids``."""

    profiles: list[ProfileSummary] = Field(default_factory=list)

    @field_validator("profiles", mode="before")
    @classmethod
    def _bare_ids(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"profile_id": v} if isinstance(v, str) else v for v in value]
        return value


class ProfileStatusResponse(_Response):
    """Answer to ``GET /profiles/{id}/status``."""

    profile_id: str
    status: ProfileStatus
    reported_status: str = Field(default="", exclude=True)
    message: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _lenient(cls, data: Any) -> Any:
        return _lenient_status(data, ProfileStatus, ProfileStatus.IN_PROGRESS)


class ProfileDeleteResponse(_Response):
    """Answer to ``DELETE /profiles/{id}``."""

    profile_id: str
    status: str = "ok"


class WebhookSecretResponse(_Response):
    """Answer to ``GET /webhook-secret`` (field name guessed: ``secret`` or ``webhook_secret``)."""

    secret: str = Field(validation_alias=AliasChoices("secret", "webhook_secret"))


class ErrorBody(_Response):
    """Error body; which field names the error type is unconfirmed: code, then type, then error."""

    detail: str | list[Any] | dict[str, Any] | None = None
    request_id: str | None = None
    code: str | None = None
    type: str | None = None
    error: str | None = None

    @property
    def error_code(self) -> str | None:
        """The error type, from whichever field carries it."""
        return self.code or self.type or self.error
