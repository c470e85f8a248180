"""The Studio server's kernel manager: jupyter_server's own, with a cap on how many kernels run.

Every visit to the Voila page starts a kernel (and the Studio's embedded server); this refuses a
new one once ``max_kernels`` run, with a page that says so in words, instead of letting a
reloading tab or a polling script start them without end. Culling of idle or disconnected kernels
is jupyter_server's (``MappingKernelManager.cull_*``), configured by the launcher.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Int

REFUSED_STATUS = 429
"""Too Many Requests: not a 5xx, whose log lines would quote request headers (a Referer may
carry the token)."""


class CappedKernelManager(AsyncMappingKernelManager):
    """An ``AsyncMappingKernelManager`` that runs at most ``max_kernels`` kernels at once."""

    max_kernels = Int(
        4, config=True, help="Most kernels (open Studio pages) running at once; 0: no limit."
    )
    idle_seconds_hint = Int(
        0, config=True, help="The cull timeout, to tell a refused visitor when a place frees up."
    )

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        """Start a kernel, or refuse with HTTP 429 and a sentence when the cap is reached."""
        kernel_id = kwargs.get("kernel_id")
        reusing = kernel_id is not None and kernel_id in self
        if not reusing and 0 < self.max_kernels <= len(self.list_kernel_ids()):
            # the sentence as the reason: Voila's error page shows only that; no log message,
            # so tornado does not log the request line (its URL may hold the token)
            raise web.HTTPError(REFUSED_STATUS, reason=self.refusal())
        return str(await super().start_kernel(*args, **kwargs))

    def refusal(self) -> str:
        """What a refused visitor reads."""
        wait = (
            f" A closed page's place frees up within about {self.idle_seconds_hint} s."
            if self.idle_seconds_hint > 0
            else ""
        )
        return (
            f"The Studio is already open in {self.max_kernels} pages, its limit. "
            f"Close a Studio tab you no longer use, then reload this page.{wait}"
        )
