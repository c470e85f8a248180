"""A capability panel's run: Run and Cancel, the elapsed-time ticks, and the outcome shown.

``PanelRunning`` is the layer of :class:`~phota_widgets.widgets._panel.panel.CapabilityPanel` above
``PanelInputs`` (whose request it sends). A Run click hands the request to ``session.submit_run``
(the session's background loop) and returns at once. Every write to the panel's widgets after it is
built runs on the one UI thread (``_common.ui_executor()``): the start of a run, the elapsed-time
ticks, and at the end the thumbnails, result, status and error. The kernel never blocks; no widget
has two writers.

A run the server took but the panel could not finish (a dropped connection, or a cancel once the job
was accepted) is kept in the run store; the panel says so and offers Collect, which fetches it
(``session.aresume()``) without paying twice.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from phota_widgets.api.errors import InvalidRequestError, NotSentError
from phota_widgets.api.results import Result
from phota_widgets.widgets._common import ErrorBox, StatusLine, ui_call
from phota_widgets.widgets._panel.collect import KEPT_TEXT, Collector, is_transient
from phota_widgets.widgets._panel.inputs import PanelInputs

if TYPE_CHECKING:
    from phota_widgets.widgets.grid import OutputGrid

TICK_SECONDS = 0.5
"""How often the status line's elapsed time is refreshed while a run is under way."""


class PanelRunning(PanelInputs):
    """Starting, watching, cancelling and finishing a panel's runs (one at a time)."""

    task: concurrent.futures.Future[Result] | None
    result: Result | None
    _settled: concurrent.futures.Future[None] | None
    _lock: threading.Lock
    _run_count: int
    _progress: str
    run_button: w.Button
    cancel_button: w.Button
    collect_button: w.Button
    collector: Collector
    status: StatusLine
    error: ErrorBox
    grid: OutputGrid

    @property
    def running(self) -> bool:
        """Whether a run is under way (Run is refused meanwhile)."""
        return self._settled is not None and not self._settled.done()

    def start(self) -> concurrent.futures.Future[Result]:
        """Start a run on the session's loop and return its future at once.

        Raises:
            RuntimeError: a run is already under way.
        """
        with self._lock:
            if self.running:
                raise RuntimeError(f"{self.endpoint} is already running: cancel it or wait")
            self._run_count += 1
            number = self._run_count
            settled: concurrent.futures.Future[None] = concurrent.futures.Future()
            self._settled = settled
        count = int(self.num_outputs.value)
        self._progress = f"{self.endpoint}: {count} image{'s' if count > 1 else ''}"
        ui_call(self._begin, f"{self._progress}: sending…")
        recorded = self.collector.recorder(number)
        try:
            task = self.session.submit_run(self.endpoint, on_recorded=recorded, **self.params())
        except Exception as exc:  # the loop is gone, or the parameters cannot be read
            failed: concurrent.futures.Future[Result] = concurrent.futures.Future()
            failed.set_exception(exc)
            task = failed
        self.task = task
        ticker: concurrent.futures.Future[None] | None = None
        if not task.done():
            try:
                ticker = self.session.loop.submit(self._tick(number, settled))
            except RuntimeError:  # the session closed meanwhile: no elapsed-time updates
                ticker = None
        task.add_done_callback(lambda f: ui_call(self._finish, f, number, settled, ticker))
        return task

    async def run(self) -> Result:
        """Run as the Run button does and await the Result (from any event loop).

        Raises:
            InvalidRequestError: bad input (nothing was sent); also shown in the error box.
            PhotaError: the request failed (shown in the error box).
            asyncio.CancelledError: the run was cancelled.
        """
        task = self.start()
        settled = self._settled
        assert settled is not None
        try:
            await asyncio.wrap_future(settled)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task.cancelled():
            raise asyncio.CancelledError()
        return task.result()

    def wait(self, timeout: float | None = None) -> Result | None:
        """Block until the current run has ended and its widgets are updated.

        Returns:
            The Result, or None when the run failed or was cancelled (the panel shows why).

        Raises:
            TimeoutError: the run did not end in time.
        """
        settled, task = self._settled, self.task
        if settled is None or task is None:
            return self.result
        settled.result(timeout)
        if task.cancelled() or task.exception() is not None:
            return None
        return task.result()

    def cancel(self) -> bool:
        """Cancel the run under way (the coroutine on the loop is cancelled too)."""
        task = self.task
        if task is None or not self.running:
            return False
        return task.cancel()

    def rerun(self, params: Mapping[str, Any]) -> concurrent.futures.Future[Result]:
        """Fill the controls with ``params`` and run them.

        Raises:
            RuntimeError: a run is under way (the controls are left as they are).
        """
        if self.running:
            raise RuntimeError(f"{self.endpoint} is running: cancel it or wait, then re-run")
        self.set_params(params)
        return self.start()

    def _on_run_click(self) -> None:
        if self.running:  # a disabled button can still be clicked programmatically
            return
        self.start()

    def _begin(self, text: str) -> None:
        """Show that a run started (on the UI thread)."""
        self.error.clear()
        self.run_button.disabled = True
        self.cancel_button.disabled = False
        self.collect_button.disabled = True
        self.status.start(text)

    def owns_status(self, number: int) -> bool:
        """Whether run ``number`` is the last one and has ended (its outcome may still change)."""
        return number == self._run_count and not self.running

    async def _tick(self, number: int, settled: concurrent.futures.Future[None]) -> None:
        """Sleep on the loop; hand each elapsed-time update to the UI thread."""
        while not settled.done() and number == self._run_count:
            await asyncio.sleep(TICK_SECONDS)
            ui_call(self._show_progress, number, settled)

    def _show_progress(self, number: int, settled: concurrent.futures.Future[None]) -> None:
        if not settled.done() and number == self._run_count:  # not yet finished (same thread)
            self.status.show(f"{self._progress}: running…")

    def _finish(
        self,
        task: concurrent.futures.Future[Result],
        number: int,
        settled: concurrent.futures.Future[None],
        ticker: concurrent.futures.Future[None] | None,
    ) -> None:
        """Write the outcome to the widgets (on the UI thread), then release waiters."""
        if ticker is not None:
            ticker.cancel()
        try:
            if task.cancelled():
                outcome = self.collector.cancelled(number)
                self.grid.mark_earlier("the run just started was cancelled; these are from before")
            elif (exc := task.exception()) is not None:
                self.error.show_error(exc)
                self.grid.mark_earlier(
                    "the run just tried failed (see above); these images are from before it"
                )
                if isinstance(exc, InvalidRequestError):
                    outcome = "not sent: fix the input (nothing was spent)"
                elif isinstance(exc, NotSentError):  # no connection opened: run it again
                    outcome = f"{exc}; run it again once connected"
                elif is_transient(exc) and self.collector.interrupted(number):
                    outcome = KEPT_TEXT
                else:
                    outcome = "failed"
            else:
                result = task.result()
                self.grid.show_result(result).result()  # inline here: a failure raises
                self.result = result
                cost = (
                    f" · ~${result.cost_estimate:.2f}" if result.cost_estimate is not None else ""
                )
                outcome = f"done: {len(result.images)} image(s){cost}"
        except Exception as exc:  # a broken image must not leave the panel stuck
            self.error.show_error(exc)
            outcome = "failed while showing the result"
        self.status.stop(f"{self.endpoint} {outcome}")
        self.run_button.disabled = False
        self.cancel_button.disabled = True
        self.collect_button.disabled = self.collector.kept is None
        settled.set_result(None)

    def collect(self) -> concurrent.futures.Future[Result | None]:
        """What Collect does: fetch this panel's kept run and show it (see :class:`Collector`)."""
        return self.collector.collect()
