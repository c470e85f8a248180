"""phota-widgets: Jupyter widgets and a typed client for the Phota image API.

The errors load at once; everything else (the client, the embedded server, the session, the
widgets and the display helpers) loads on first use, so ``import phota_widgets`` stays light.

The package is built in layers; each imports only the layers below it:

```text
cli, demo, app/   entry points: `phota-widgets studio | sweep | serve | demo`
  widgets/        panels (Generate .. Experiments), the Studio
  experiments/    sweeps/ review/ scoring/ exports/ compare/; reach the Session through
                  session_protocol; import widgets only in a method returning a panel
  display         static HTML views of results
  session         Session: backend, runs, recovery, claims, profile cache, history, store
                  writer, watcher (session.py and its root helper modules; later session/)
                  imports local/ and experiments/ only inside functions; never widgets/
  store/          RunStore: index (SQLite, PostgreSQL) + files (fsspec); imports api/ only
  local/          the embedded Phota-compatible server; imports api/ only
  api/            the wire layer: models, client, errors, retries, images, jobs, prices
files, redact, samples: small shared helpers that import nothing of the package
```

``tests/test_layers.py`` reads every module's imports and fails when one reaches upward.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    NotSentError,
    PaymentRequiredError,
    PhotaError,
    ProfileFailedError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    SyncTimeLimitError,
    UnexpectedResponseError,
    UnprocessableError,
)

if TYPE_CHECKING:
    from phota_widgets.api.client import AsyncPhotaClient
    from phota_widgets.api.jobs import AsyncJob
    from phota_widgets.api.prices import PriceTable, estimate
    from phota_widgets.api.provenance import ImageSettings, read_settings
    from phota_widgets.api.results import OutputImage, Result
    from phota_widgets.api.sync import Job, PhotaClient
    from phota_widgets.api.webhooks import (
        WebhookGuard,
        WebhookRejected,
        sign_webhook,
        verify_webhook,
    )
    from phota_widgets.display import HTMLView, before_after, compare, contact_sheet, show
    from phota_widgets.experiments import SweepPlan, SweepResult, sweep_from_file
    from phota_widgets.experiments.compare.comparison import compare_sweeps
    from phota_widgets.experiments.sweeps.spend import ConfirmationRequiredError
    from phota_widgets.history import History
    from phota_widgets.key_check import KeyRefusedError, NoNetworkError
    from phota_widgets.local import Faults, Limits, LocalServer, ServerProcess
    from phota_widgets.samples import sample, sample_path, sample_url
    from phota_widgets.session import Session
    from phota_widgets.store import RunStore
    from phota_widgets.store.errors import (
        StoreBusyError,
        StoreCorruptError,
        StoreError,
        StoreFullError,
        StoreReadOnlyError,
        StoreRowError,
        StoreUnreachableError,
        StoreVersionError,
    )
    from phota_widgets.widgets.edit import EditPanel
    from phota_widgets.widgets.enhance import EnhancePanel
    from phota_widgets.widgets.generate import GeneratePanel
    from phota_widgets.widgets.history import HistoryPanel
    from phota_widgets.widgets.login import LoginBox, login
    from phota_widgets.widgets.profiles import ProfilesPanel
    from phota_widgets.widgets.remix import RemixPanel
    from phota_widgets.widgets.review import ReviewPanel
    from phota_widgets.widgets.studio import Studio
    from phota_widgets.widgets.sweep import SweepPanel

__version__ = "0.1.0"

_LAZY = {
    "AsyncPhotaClient": "phota_widgets.api.client",
    "AsyncJob": "phota_widgets.api.jobs",
    "PriceTable": "phota_widgets.api.prices",
    "estimate": "phota_widgets.api.prices",
    "ImageSettings": "phota_widgets.api.provenance",
    "read_settings": "phota_widgets.api.provenance",
    "OutputImage": "phota_widgets.api.results",
    "Result": "phota_widgets.api.results",
    "Job": "phota_widgets.api.sync",
    "PhotaClient": "phota_widgets.api.sync",
    "sign_webhook": "phota_widgets.api.webhooks",
    "WebhookGuard": "phota_widgets.api.webhooks",
    "WebhookRejected": "phota_widgets.api.webhooks",
    "verify_webhook": "phota_widgets.api.webhooks",
    "Faults": "phota_widgets.local",
    "Limits": "phota_widgets.local",
    "LocalServer": "phota_widgets.local",
    "ServerProcess": "phota_widgets.local",
    "Session": "phota_widgets.session",
    "History": "phota_widgets.history",
    "RunStore": "phota_widgets.store",
    "StoreBusyError": "phota_widgets.store.errors",
    "StoreCorruptError": "phota_widgets.store.errors",
    "StoreError": "phota_widgets.store.errors",
    "StoreFullError": "phota_widgets.store.errors",
    "StoreReadOnlyError": "phota_widgets.store.errors",
    "StoreRowError": "phota_widgets.store.errors",
    "StoreUnreachableError": "phota_widgets.store.errors",
    "StoreVersionError": "phota_widgets.store.errors",
    "HTMLView": "phota_widgets.display",
    "SweepPlan": "phota_widgets.experiments",
    "SweepResult": "phota_widgets.experiments",
    "sweep_from_file": "phota_widgets.experiments",
    "compare_sweeps": "phota_widgets.experiments.compare.comparison",
    "ConfirmationRequiredError": "phota_widgets.experiments.sweeps.spend",
    "KeyRefusedError": "phota_widgets.key_check",
    "NoNetworkError": "phota_widgets.key_check",
    "before_after": "phota_widgets.display",
    "compare": "phota_widgets.display",
    "contact_sheet": "phota_widgets.display",
    "show": "phota_widgets.display",
    "EditPanel": "phota_widgets.widgets.edit",
    "EnhancePanel": "phota_widgets.widgets.enhance",
    "GeneratePanel": "phota_widgets.widgets.generate",
    "HistoryPanel": "phota_widgets.widgets.history",
    "LoginBox": "phota_widgets.widgets.login",
    "login": "phota_widgets.widgets.login",
    "ProfilesPanel": "phota_widgets.widgets.profiles",
    "RemixPanel": "phota_widgets.widgets.remix",
    "Studio": "phota_widgets.widgets.studio",
    "sample": "phota_widgets.samples",
    "sample_path": "phota_widgets.samples",
    "sample_url": "phota_widgets.samples",
    "ReviewPanel": "phota_widgets.widgets.review",
    "SweepPanel": "phota_widgets.widgets.sweep",
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
    "ConfirmationRequiredError",
    "ConnectionError",
    "ContentModerationError",
    "EditPanel",
    "EnhancePanel",
    "Faults",
    "GeneratePanel",
    "HTMLView",
    "History",
    "HistoryPanel",
    "ImageSettings",
    "InvalidRequestError",
    "Job",
    "JobFailedError",
    "KeyRefusedError",
    "Limits",
    "LocalServer",
    "LoginBox",
    "NoNetworkError",
    "NotFoundError",
    "NotSentError",
    "OutputImage",
    "PaymentRequiredError",
    "PhotaClient",
    "PhotaError",
    "PriceTable",
    "ProfileFailedError",
    "ProfilesPanel",
    "RateLimitError",
    "RemixPanel",
    "RequestTimeoutError",
    "Result",
    "ReviewPanel",
    "RunStore",
    "ServerError",
    "ServerProcess",
    "Session",
    "StoreBusyError",
    "StoreCorruptError",
    "StoreError",
    "StoreFullError",
    "StoreReadOnlyError",
    "StoreRowError",
    "StoreUnreachableError",
    "StoreVersionError",
    "Studio",
    "SweepPanel",
    "SweepPlan",
    "SweepResult",
    "SyncTimeLimitError",
    "UnexpectedResponseError",
    "UnprocessableError",
    "WebhookGuard",
    "WebhookRejected",
    "before_after",
    "compare",
    "compare_sweeps",
    "contact_sheet",
    "estimate",
    "login",
    "read_settings",
    "sample",
    "sample_path",
    "sample_url",
    "show",
    "sign_webhook",
    "sweep_from_file",
    "verify_webhook",
]
