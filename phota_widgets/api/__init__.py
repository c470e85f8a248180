"""The wire layer: models, validation, errors, retries, image coding, jobs, webhooks, prices.

Names load on first use, so importing one light module (e.g. ``api.errors``) stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from phota_widgets.api.client import AsyncPhotaClient
    from phota_widgets.api.jobs import AsyncJob
    from phota_widgets.api.results import OutputImage, Result
    from phota_widgets.api.sync import Job, PhotaClient
    from phota_widgets.api.webhooks import sign_webhook, verify_webhook

_EXPORTS = {
    "AsyncJob": "phota_widgets.api.jobs",
    "AsyncPhotaClient": "phota_widgets.api.client",
    "Job": "phota_widgets.api.sync",
    "OutputImage": "phota_widgets.api.results",
    "PhotaClient": "phota_widgets.api.sync",
    "Result": "phota_widgets.api.results",
    "sign_webhook": "phota_widgets.api.webhooks",
    "verify_webhook": "phota_widgets.api.webhooks",
}

__all__ = [
    "AsyncJob",
    "AsyncPhotaClient",
    "Job",
    "OutputImage",
    "PhotaClient",
    "Result",
    "sign_webhook",
    "verify_webhook",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'phota_widgets.api' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
