"""What experiments need of a Session: the whole boundary between the two layers, in one place.

A sweep runs its cells through :class:`SweepSession`, never through the Session's internals:
each cell is one call run once by key (claimed across processes, recorded before it is sent),
results and sweep rows live in the session's run store, and the work runs on the session's
background loop. ``pw.Session`` satisfies this protocol; nothing here imports it.

The two commands (``phota-widgets sweep``, ``phota-widgets compare``) are the exception: they
open a Session themselves, inside the function that runs the command.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from phota_widgets.session import claimed

if TYPE_CHECKING:
    from phota_widgets.api.loop import BackgroundLoop
    from phota_widgets.api.prices import PriceTable
    from phota_widgets.api.results import Result
    from phota_widgets.store import RunStore

__all__ = ["OrderedWriter", "SweepSession", "busy_runs"]

T = TypeVar("T")


class OrderedWriter(Protocol):
    """Store calls made in order off the loop (the session's store writer)."""

    def post(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> concurrent.futures.Future[T]:
        """Queue ``fn(*args, **kwargs)`` after every call queued before it; returns at once."""
        ...


class SweepSession(Protocol):
    """The part of a Session that sweeps, results, review and exports use."""

    @property
    def store(self) -> RunStore:
        """The run store: runs, outputs, sweeps, judgements, scores."""
        ...

    @property
    def loop(self) -> BackgroundLoop:
        """The background event loop the session's API work runs on."""
        ...

    @property
    def writer(self) -> OrderedWriter:
        """Makes the running work's store calls, in order, off the loop."""
        ...

    @property
    def max_concurrency(self) -> int:
        """The most calls in flight at once (a sweep's window is sized from it)."""
        ...

    @property
    def concurrency(self) -> int:
        """Calls allowed at once now (the adaptive limit: the progress bar shows it)."""
        ...

    @property
    def defaults(self) -> Mapping[str, Any]:
        """Settings every call has unless it sets them."""
        ...

    @property
    def prices(self) -> PriceTable:
        """The price table cost estimates come from."""
        ...

    @property
    def backend(self) -> str:
        """``local`` or the API root in use (typical call times are per backend)."""
        ...

    @property
    def holder(self) -> str:
        """This session's name on claims of shared work."""
        ...

    @property
    def resuming(self) -> concurrent.futures.Future[list[Result]] | None:
        """The collection of earlier processes' jobs started when the session opened, if any."""
        ...

    async def arun_once(
        self,
        key: str,
        endpoint: str,
        *,
        on_recorded: Callable[[str], None] | None = None,
        **params: Any,
    ) -> Result:
        """Run shared work ``key`` once across every process on this store."""
        ...

    async def aresume(self) -> list[Result]:
        """Collect every job submitted but never collected (nothing is paid twice)."""
        ...


def busy_runs(session: SweepSession) -> set[str]:
    """Runs another live process holds a claim on: their cells wait for that process."""
    return claimed.busy_runs(session)
