"""Response models: lenient (unknown fields are kept), so a newer API does not break older
clients; a status this client does not know reads as "not finished"."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from phota_widgets.api.models.enums import JobStatus, ProfileStatus


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
