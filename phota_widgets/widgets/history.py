"""``HistoryPanel``: browse recorded runs, re-open their results and run them again.

A page of runs is counted and loaded from the run store (``count`` and ``runs(limit, offset)``),
never the whole store. The panel's widgets are written on the UI thread only; thumbnails and
re-opened images are read in worker threads of the session's loop, never on the kernel. A run
still "submitted" (kept on the server after a dropped connection or a cancel) has a "collect"
button that fetches it without paying twice.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from phota_widgets import display
from phota_widgets.api.errors import PhotaError
from phota_widgets.api.models import ENDPOINTS
from phota_widgets.api.results import Result
from phota_widgets.widgets._common import (
    ErrorBox,
    StatusLine,
    close_tree,
    forward,
    styled,
    ui_await,
    ui_call,
)
from phota_widgets.widgets._panel.collect import acollect, not_collected
from phota_widgets.widgets.history_backend import BackendFilter
from phota_widgets.widgets.history_row import HistoryRow
from phota_widgets.widgets.history_tools import HistoryTools

if TYPE_CHECKING:
    from phota_widgets.session import Session
    from phota_widgets.store import RunRecord

PAGE_SIZE = 50
"""Runs shown at once."""

THUMB_PX = 96
"""Longest side of a row's thumbnails."""


class HistoryPanel(w.VBox):  # type: ignore[misc]
    """Every run of a session: filter by endpoint, prompt and date; open or re-run any of them.

    Args:
        session: the session whose run store is browsed.
        on_open: called on the UI thread with the re-opened Result on "open" (default: shown
            in the panel); it may return a future of the showing, which is awaited, and what
            it raises is shown in the error box.
        on_rerun: called with ``(endpoint, params)`` on "re-run", on the caller's thread (the
            kernel for a click), since it fills another panel's controls (default: run again
            here). It raises RuntimeError to refuse (e.g. that panel is running), which the
            status line then says.
    """

    def __init__(
        self,
        session: Session,
        on_open: Callable[[Result], object] | None = None,
        on_rerun: Callable[[str, dict[str, Any]], object] | None = None,
    ) -> None:
        self._session = session
        self._on_open = on_open
        self._on_rerun = on_rerun
        self._thumb_task: concurrent.futures.Future[None] | None = None
        self.page = 0
        self.total = 0
        self.rows: list[HistoryRow] = []
        self.last_task: concurrent.futures.Future[Any] | None = None
        self.endpoint_filter = styled(
            w.Dropdown(
                options=["all", *ENDPOINTS], value="all", description="endpoint",
                layout=w.Layout(width="190px"),
            ),
            "history-endpoint",
        )  # fmt: skip
        self.backend_filter = BackendFilter(session, on_switch=self.refresh)
        self.prompt_filter = styled(
            w.Text(placeholder="text in the prompt", description="prompt", continuous_update=False),
            "history-prompt",
        )
        self.since = styled(w.DatePicker(description="since", value=None), "history-since")
        self.refresh_button = styled(
            w.Button(description="Refresh", icon="refresh"), "history-refresh"
        )
        self.prev_button = styled(w.Button(description="◀ newer", disabled=True), "history-prev")
        self.next_button = styled(w.Button(description="older ▶", disabled=True), "history-next")
        self.count = styled(w.HTML(), "history-count")
        self.status = StatusLine()
        self.error = ErrorBox()
        self.table = styled(w.VBox(), "history-table")
        self._empty = w.HTML("<i>No runs match.</i>")
        self.output = styled(w.Output(), "history-output")
        for widget in (self.endpoint_filter, self.backend_filter, self.prompt_filter, self.since):
            widget.observe(self._on_filter, names="value")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.prev_button.on_click(lambda _b: self._list(step=-1))
        self.next_button.on_click(lambda _b: self._list(step=+1))
        filters = w.HBox(
            [self.endpoint_filter, self.backend_filter, self.prompt_filter, self.since,
             self.refresh_button], layout=w.Layout(flex_flow="row wrap"),
        )  # fmt: skip
        pager = w.HBox([self.prev_button, self.next_button, self.count])
        self.tools = HistoryTools(
            session,
            visible=lambda: [row.record for row in self.rows],
            checked=lambda: [row.record for row in self.rows if row.check.value],
            show=self._show_view,
        )
        super().__init__(
            children=[filters, pager, self.tools, self.status, self.error, self.table, self.output]
        )
        styled(self, "history")
        self.refresh()
        self._unwatch = session.watch(self._store_changed)

    def _store_changed(self) -> None:
        """Another process (or this one) changed the store: list the page shown again."""
        if self.comm is not None:
            self._list()

    # -- listing -----------------------------------------------------------------------------------

    def refresh(self) -> concurrent.futures.Future[None]:
        """List the matching runs again (newest first, one page) on the UI thread.

        Returns:
            A future done once the rows and their thumbnails are shown (or a newer listing
            replaced them).
        """
        return self._list()

    def _list(self, *, page: int | None = None, step: int = 0) -> concurrent.futures.Future[None]:
        """Show a page (this one, ``page``, or ``step`` pages on) of the matching runs."""
        shown: concurrent.futures.Future[None] = concurrent.futures.Future()
        ui_call(self._show_page, shown, page, step)
        return shown

    def _show_page(
        self, shown: concurrent.futures.Future[None], page: int | None, step: int
    ) -> None:
        if self.comm is None:  # closed meanwhile: no new rows
            _shown_when_loaded(None, shown)
            return
        try:
            self.error.clear()
            store, filters = self._session.store, self._filters()
            self.total = store.count(**filters)
            pages = max(1, -(-self.total // PAGE_SIZE))
            self.page = min(max(0, (self.page if page is None else page) + step), pages - 1)
            start = self.page * PAGE_SIZE
            records = store.runs(**filters, limit=PAGE_SIZE, offset=start)
            rows = [self._row(record) for record in records]
            if self._thumb_task is not None:
                self._thumb_task.cancel()
            old = self.rows
            self.rows = rows
            self.table.children = rows or [self._empty]
            for row in old:
                close_tree(row)
            self.prev_button.disabled = self.page == 0
            self.next_button.disabled = self.page >= pages - 1
            end = start + len(rows)
            self.count.value = (
                f"runs {start + 1}–{end} of {self.total}" if self.total else "no runs"
            )
            task = self._session.loop.submit(self._load_thumbs(rows))
        except Exception as exc:  # a closed store or session
            if not shown.done():
                shown.set_exception(exc)
            raise
        self._thumb_task = task
        task.add_done_callback(lambda t: _shown_when_loaded(t, shown))

    def _filters(self) -> dict[str, Any]:
        endpoint = self.endpoint_filter.value
        prompt = self.prompt_filter.value.strip()
        picked: date | None = self.since.value
        return {
            "endpoint": None if endpoint == "all" else endpoint,
            "backend": self.backend_filter.query(),
            "prompt": prompt or None,
            "since": datetime.combine(picked, time.min) if picked is not None else None,
        }

    def _row(self, record: RunRecord) -> HistoryRow:
        row = HistoryRow(record)
        row.open_button.on_click(lambda _b: self.open_run(record.run_id))
        row.rerun_button.on_click(lambda _b: self.rerun(record.run_id))
        if row.collect_button is not None:
            row.collect_button.on_click(lambda _b: self.collect(record.run_id))
        return row

    async def _load_thumbs(self, rows: Sequence[HistoryRow]) -> None:
        """Show each row's thumbnails, read in a worker thread and written on the UI thread."""
        store = self._session.store
        for row in rows:
            values: list[bytes | None] = []
            for output in row.record.outputs[: len(row.thumbs)]:
                try:
                    values.append(await asyncio.to_thread(store.thumbnail, output, THUMB_PX))
                except OSError:  # a file removed from the store: leave the cell empty
                    values.append(None)
            await ui_await(row.show_thumbs, values)

    def _on_filter(self, _change: dict[str, Any]) -> None:
        self._list(page=0)

    # -- actions -----------------------------------------------------------------------------------

    def open_run(self, run_id: str) -> concurrent.futures.Future[Result | None]:
        """Re-open a run's Result: hand it to ``on_open``, or show it in :attr:`output`.

        The images are read in a worker thread of the session's loop, never on the kernel.

        Returns:
            The future of the Result (None when it could not be read: the error box says why).
        """
        self.last_task = self._session.loop.submit(self._aopen(run_id))
        return self.last_task

    async def _aopen(self, run_id: str) -> Result | None:
        await ui_await(self._starting, f"opening run {run_id}…")
        try:
            result = await asyncio.to_thread(self._session.result, run_id)
            caption = f"run {result.run_id}: {display.result_caption(result)}"
            if self._on_open is not None:
                shown = await ui_await(self._on_open, result)
                if isinstance(shown, concurrent.futures.Future):
                    await asyncio.wrap_future(shown)
                await ui_await(self.status.stop, f"opened {caption}")
                return result
            view = await asyncio.to_thread(display.show, result)
            bundle = {"text/html": view.html, "text/plain": repr(view)}
            await ui_await(self._show_output, bundle, caption)
        except Exception as exc:  # a run gone from the store, a damaged image, a failing on_open
            await ui_await(self._failed, f"could not open run {run_id}", exc)
            return None
        return result

    def _starting(self, text: str) -> None:
        self.error.clear()
        self.status.start(text)

    def _show_view(self, view: display.HTMLView) -> None:
        bundle = {"text/html": view.html, "text/plain": repr(view)}
        self._show_output(bundle, view.title)

    def _show_output(self, bundle: dict[str, str], caption: str) -> None:
        self.output.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)
        self.status.stop(caption)

    def collect(self, run_id: str) -> concurrent.futures.Future[Result | None]:
        """Collect every kept run of the backend (``session.aresume()``), then list again.

        Returns:
            The future of this run's Result (None while it cannot be collected yet, or when it
            failed: the status says why).
        """
        self.last_task = self._session.loop.submit(self._acollect(run_id))
        return self.last_task

    async def _acollect(self, run_id: str) -> Result | None:
        await ui_await(self._starting, f"collecting run {run_id}…")
        try:
            result, record = await acollect(self._session, run_id)
        except Exception as exc:  # the backend or the store
            await ui_await(self._failed, f"could not collect run {run_id}", exc)
            return None
        if result is None:
            text = f"run {run_id} {not_collected(record)}"
        else:
            text = f"collected run {run_id}: {len(result.images)} image(s), paid once"
        await ui_await(self.status.stop, text)
        await asyncio.wrap_future(self._list())
        return result

    def rerun(self, run_id: str) -> None:
        """Run again with the recorded parameters: via ``on_rerun``, or here in the background."""
        if self._on_rerun is None:
            self.last_task = self._session.loop.submit(self._arerun(run_id))
            return
        ui_call(self.error.clear)
        try:  # read here: on_rerun fills another panel's controls, which the kernel writes
            record = self._session.store.get(run_id)
            params = self._session.rerun_params(run_id)
        except (KeyError, ValueError, PhotaError) as exc:  # a run or an input gone from the store
            ui_call(self.error.show_error, exc)
            return
        try:
            self._on_rerun(record.endpoint, params)
        except RuntimeError as exc:  # refused, e.g. that panel is running: nothing was changed
            ui_call(self.status.stop, f"not re-run: {exc}")

    async def _arerun(self, run_id: str) -> Result | None:
        await ui_await(self.error.clear)
        try:
            record = self._session.store.get(run_id)
            params = await asyncio.to_thread(self._session.rerun_params, run_id)
        except (KeyError, ValueError, PhotaError) as exc:
            await ui_await(self.error.show_error, exc)
            return None
        await ui_await(self.status.start, f"re-running {record.endpoint} (run {run_id})…")
        try:
            result = await self._session.arun(record.endpoint, **params)
        except asyncio.CancelledError:
            ui_call(self.status.stop, "re-run cancelled")
            raise
        except Exception as exc:
            await ui_await(self._failed, "re-run failed", exc)
            return None
        await ui_await(self.status.stop, f"re-run done: run {result.run_id}")
        await asyncio.wrap_future(self._list(page=0))
        return result

    def _failed(self, text: str, exc: BaseException) -> None:
        self.status.stop(text)
        self.error.show_error(exc)

    def close(self) -> None:
        """Stop loading thumbnails and close the panel with every widget inside it."""
        self._unwatch()
        if self._thumb_task is not None:
            self._thumb_task.cancel()
        close_tree(self, super().close)
        close_tree(self._empty)


def _shown_when_loaded(
    task: concurrent.futures.Future[None] | None, shown: concurrent.futures.Future[None]
) -> None:
    """A listing is shown when its thumbnails are, or when a newer listing replaced it."""
    if task is not None and not task.cancelled():
        forward(task, shown)
    elif not shown.done():  # not cancelled by a waiter that gave up
        shown.set_result(None)
