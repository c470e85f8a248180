"""phota-widgets: Jupyter widgets and a typed client for the Phota image API.

The client, errors and results load at once; the embedded server, the session, the widgets and the
display helpers load on first use, so ``import phota_widgets`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from phota_widgets.api.client import AsyncPhotaClient
from phota_widgets.api.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    BudgetExceededError,
    ConnectionError,
    ContentModerationError,
    InvalidRequestError,
    JobFailedError,
    NotFoundError,
    PaymentRequiredError,
    PhotaError,
    ProfileFailedError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    UnprocessableError,
)
from phota_widgets.api.jobs import AsyncJob
from phota_widgets.api.prices import PriceTable, estimate
from phota_widgets.api.results import OutputImage, Result
from phota_widgets.api.sync import Job, PhotaClient
from phota_widgets.api.webhooks import sign_webhook, verify_webhook

if TYPE_CHECKING:
    from phota_widgets.history import History
    from phota_widgets.local import Faults, LocalServer
    from phota_widgets.session import Session
    from phota_widgets.store import RunStore

__version__ = "0.1.0"

_LAZY = {
    "Faults": "phota_widgets.local",
    "LocalServer": "phota_widgets.local",
    "Session": "phota_widgets.session",
    "History": "phota_widgets.history",
    "RunStore": "phota_widgets.store",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'phota_widgets' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "APIError",
    "AsyncJob",
    "AsyncPhotaClient",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "ConnectionError",
    "ContentModerationError",
    "Faults",
    "InvalidRequestError",
    "Job",
    "JobFailedError",
    "History",
    "LocalServer",
    "NotFoundError",
    "OutputImage",
    "PaymentRequiredError",
    "PhotaClient",
    "PhotaError",
    "PriceTable",
    "ProfileFailedError",
    "RateLimitError",
    "RequestTimeoutError",
    "Result",
    "RunStore",
    "ServerError",
    "Session",
    "UnprocessableError",
    "estimate",
    "sign_webhook",
    "verify_webhook",
]
