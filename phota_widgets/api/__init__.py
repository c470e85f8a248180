"""The wire layer: models, validation, errors, retries, image coding, jobs, webhooks, prices."""

from phota_widgets.api.client import AsyncPhotaClient
from phota_widgets.api.jobs import AsyncJob
from phota_widgets.api.results import OutputImage, Result
from phota_widgets.api.sync import Job, PhotaClient
from phota_widgets.api.webhooks import sign_webhook, verify_webhook

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
