"""Errors raised by phota-widgets.

::

    PhotaError
    ├── InvalidRequestError (also ValueError)  refused before anything was sent
    ├── BudgetExceededError (also ValueError)  a plan would cost more than allowed
    ├── APIError                               the server answered with an error status
    │   ├── AuthenticationError                401 invalid key, 403 missing key
    │   ├── PaymentRequiredError               402 out of prepaid credit
    │   ├── BadRequestError                    400
    │   │   └── ContentModerationError         400 with code CONTENT_MODERATION
    │   ├── NotFoundError                      404 unknown profile or job
    │   ├── UnprocessableError                 422 validation
    │   ├── RateLimitError                     429
    │   └── ServerError                        5xx
    │       └── SyncTimeLimitError             504 on a sync image call (refunded; not retried)
    ├── UnexpectedResponseError                a success answer that could not be read
    ├── RequestTimeoutError (also TimeoutError) no answer in time
    ├── ConnectionError (also builtins.ConnectionError) the server could not be reached
    │   └── NotSentError                       never sent (refused connect, DNS, pool timeout)
    ├── JobFailedError                         an async job ended in failure
    └── ProfileFailedError                     a profile ended in ERROR or INACTIVE

No message, repr or attribute of an error ever holds the API key.
"""

from __future__ import annotations

import builtins
from typing import Any


class PhotaError(Exception):
    """Root of every error phota-widgets raises."""


class InvalidRequestError(PhotaError, ValueError):
    """A request the server would refuse; raised before any network traffic, so nothing is spent."""


class BudgetExceededError(PhotaError, ValueError):
    """A planned batch would cost more than its budget; nothing was sent."""

    def __init__(self, message: str, *, estimate: float, budget: float) -> None:
        super().__init__(message)
        self.estimate = estimate
        self.budget = budget


class APIError(PhotaError):
    """The server answered with an error status.

    Attributes:
        status_code: the HTTP status.
        request_id: the server's request id (from the body or ``X-Request-Id``), if any.
        detail: the server's explanation (a string, or FastAPI's list of field errors).
        code: the error type the server named (e.g. ``CONTENT_MODERATION``), if any.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None = None,
        detail: Any = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.request_id = request_id
        self.detail = detail
        self.code = code

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} (request id {self.request_id})" if self.request_id else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code}, "
            f"request_id={self.request_id!r}, detail={self.detail!r})"
        )


class AuthenticationError(APIError):
    """401 (the key is invalid) or 403 (no key was sent)."""


class PaymentRequiredError(APIError):
    """402: the account is out of prepaid credit."""


class BadRequestError(APIError):
    """400: the server refused the request."""


class ContentModerationError(BadRequestError):
    """400 ``CONTENT_MODERATION``: the prompt or an image was refused by moderation."""


class NotFoundError(APIError):
    """404: unknown profile or job."""


class UnprocessableError(APIError):
    """422: the request body did not validate on the server."""


class RateLimitError(APIError):
    """429: too many requests; ``retry_after`` is the server's hint in seconds, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the server failed; no image was delivered (504: sync time limit, refunded)."""


class SyncTimeLimitError(ServerError):
    """504 on a sync image request: past Phota's time limit. The cost was refunded.

    Not retried (a retry would run the same work again for up to another 600 s); ``submit()``
    runs the request as an async job, which has a larger time budget.
    """


class UnexpectedResponseError(PhotaError):
    """A success answer whose body could not be read; the raw body and request id are kept.

    Attributes:
        body: the answer's text (cut to 4000 characters).
        request_id: the server's request id, if any (quote it to Phota support).
    """

    def __init__(self, message: str, *, body: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.body = body
        self.request_id = request_id

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} (request id {self.request_id})" if self.request_id else text


class RequestTimeoutError(PhotaError, TimeoutError):
    """No answer arrived in time."""


class ConnectionError(PhotaError, builtins.ConnectionError):
    """The server could not be reached, or the connection dropped."""


class NotSentError(ConnectionError):
    """The request never left: no connection opened (refused, DNS failure, pool timeout).

    Nothing reached the server, so nothing was charged and the request can be sent again.
    """


class JobFailedError(PhotaError):
    """An asynchronous job ended in failure."""

    def __init__(self, message: str, *, job_id: str, code: str | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.code = code


class ProfileFailedError(PhotaError):
    """A profile's training ended in ERROR or INACTIVE."""

    def __init__(self, message: str, *, profile_id: str, status: str) -> None:
        super().__init__(message)
        self.profile_id = profile_id
        self.status = status


_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: AuthenticationError,
    404: NotFoundError,
    422: UnprocessableError,
    429: RateLimitError,
}

_STATUS_TEXT: dict[int, str] = {
    400: "bad request",
    401: "invalid API key",
    402: "out of prepaid credit",
    403: "missing API key",
    404: "not found",
    422: "request did not validate",
    429: "rate limited",
    500: "internal server error",
    502: "bad gateway",
    503: "service unavailable",
    504: "sync time limit reached (the cost is refunded)",
}


def error_for_status(
    status_code: int,
    *,
    detail: Any = None,
    code: str | None = None,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> APIError:
    """Build the error matching an HTTP status and the server's error body."""
    summary = _STATUS_TEXT.get(status_code, "error")
    message = f"Phota API {status_code} {summary}"
    text = detail_text(detail)
    if text:
        message = f"{message}: {text}"
    kwargs: dict[str, Any] = {
        "status_code": status_code,
        "request_id": request_id,
        "detail": detail,
        "code": code,
    }
    if status_code == 400 and _is_moderation(code, detail):
        kwargs["code"] = code or MODERATION_CODE
        return ContentModerationError(message, **kwargs)
    if status_code == 429:
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    if status_code >= 500:
        return ServerError(message, **kwargs)
    return _STATUS_ERRORS.get(status_code, APIError)(message, **kwargs)


MODERATION_CODE = "CONTENT_MODERATION"


def _is_moderation(code: str | None, detail: Any) -> bool:
    """Whether a 400 is a moderation refusal: by its code, or named in a string detail."""
    if code:
        return code.upper() == MODERATION_CODE
    return isinstance(detail, str) and MODERATION_CODE in detail.upper().replace(" ", "_")


def detail_text(detail: Any) -> str:
    """Readable text of a detail: a string, or FastAPI's list of field errors."""
    if detail is None:
        return ""
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(f"{loc}: {item.get('msg', '')}" if loc else str(item.get("msg", "")))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(detail)
