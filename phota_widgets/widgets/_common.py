"""Small pieces every panel shares: the UI thread, stable CSS classes, status line, error box.

One writer per widget: after a panel is built, every write to its widgets runs on one thread,
the UI thread (``ui_executor()``). The kernel thread (click handlers, cells) and the session's
loop (API work) hand their writes to it with :func:`ui_call`, :func:`ui_method` or
:func:`ui_await`; nothing else writes a panel's widgets.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import threading
import time
from collections.abc import Callable, Collection
from html import escape
from typing import Any, ParamSpec, TypeVar

import ipywidgets as w

from phota_widgets.api.errors import APIError, InvalidRequestError, PhotaError
from phota_widgets.widgets.wording import for_people

W = TypeVar("W", bound=w.DOMWidget)
P = ParamSpec("P")
T = TypeVar("T")

UI_THREAD_NAME = "phota-widgets-ui"
"""Name prefix of the UI thread (``phota-widgets-ui_0``)."""

_log = logging.getLogger("phota_widgets.widgets")
_ui_lock = threading.Lock()
_ui_executor: concurrent.futures.ThreadPoolExecutor | None = None
_ui_thread = threading.local()


def ui_executor() -> concurrent.futures.ThreadPoolExecutor:
    """The one thread that writes every panel's widgets after construction (shared by all)."""
    global _ui_executor
    with _ui_lock:
        if _ui_executor is None:
            _ui_executor = concurrent.futures.ThreadPoolExecutor(
                1, UI_THREAD_NAME, initializer=_mark_ui_thread
            )
        return _ui_executor


def _mark_ui_thread() -> None:
    _ui_thread.active = True


def on_ui_thread() -> bool:
    """Whether the caller runs on the UI thread."""
    return bool(getattr(_ui_thread, "active", False))


def ui_call(
    fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> concurrent.futures.Future[T]:
    """Run ``fn`` on the UI thread: at once when already there, else queued in order.

    Returns:
        Its future. A failure is also logged, since most callers do not wait.
    """
    future: concurrent.futures.Future[T]
    if on_ui_thread():
        future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
    else:
        future = ui_executor().submit(fn, *args, **kwargs)
    future.add_done_callback(_log_failure)
    return future


def ui_method(fn: Callable[P, T]) -> Callable[P, concurrent.futures.Future[T]]:
    """Make a method that writes widgets run on the UI thread, whoever calls it."""

    @functools.wraps(fn)
    def on_ui(*args: P.args, **kwargs: P.kwargs) -> concurrent.futures.Future[T]:
        return ui_call(fn, *args, **kwargs)

    return on_ui


async def ui_await(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """From a coroutine on the session's loop: run ``fn`` on the UI thread and await it."""
    return await asyncio.wrap_future(ui_call(fn, *args, **kwargs))


def forward(source: concurrent.futures.Future[T], target: concurrent.futures.Future[T]) -> None:
    """Give ``target`` the outcome of the finished ``source`` (cancelled, failed or a result)."""
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif (exc := source.exception()) is not None:
        target.set_exception(exc)
    else:
        target.set_result(source.result())


def _log_failure(future: concurrent.futures.Future[Any]) -> None:
    if not future.cancelled() and (exc := future.exception()) is not None:
        _log.error("a widget update failed", exc_info=exc)


def styled(widget: W, name: str) -> W:
    """Give a widget the stable CSS class ``phota-<name>`` (for browser tests and theming)."""
    widget.add_class(f"phota-{name}")
    return widget


class StatusLine(w.HTML):  # type: ignore[misc]
    """One line saying what a panel is doing, with elapsed time."""

    def __init__(self) -> None:
        super().__init__(value="")
        styled(self, "status")
        self._started: float | None = None

    def start(self, text: str) -> None:
        """Show that work began (the clock starts)."""
        self._started = time.perf_counter()
        self.show(text)

    def show(self, text: str) -> None:
        """Show text, with the elapsed time when work is under way."""
        elapsed = f" · {time.perf_counter() - self._started:.1f}s" if self._started else ""
        self.value = f'<span style="color:#555">{escape(text)}{elapsed}</span>'

    def stop(self, text: str) -> None:
        """Show the final text and stop the clock."""
        self.show(text)
        self._started = None


class ErrorBox(w.HTML):  # type: ignore[misc]
    """Shows what went wrong: the problem, and the request id when the server gave one."""

    def __init__(self) -> None:
        super().__init__(value="")
        styled(self, "error")

    def show_error(self, exc: BaseException) -> None:
        """Describe an exception for a person (never a traceback, never a key)."""
        self.value = describe_error(exc)

    def clear(self) -> None:
        """Hide the box."""
        self.value = ""


def describe_error(exc: BaseException) -> str:
    """HTML naming the problem and, for API errors, the request id."""
    if isinstance(exc, InvalidRequestError):
        title = "Not sent (nothing was spent)"
    elif isinstance(exc, APIError):
        title = f"Phota answered {exc.status_code}"
    elif isinstance(exc, PhotaError):
        title = "Request failed"
    else:
        title = f"Unexpected error ({type(exc).__name__})"
    extra = ""
    if isinstance(exc, APIError) and exc.request_id:
        extra = f"<br/><small>request id: <code>{escape(exc.request_id)}</code></small>"
    return (
        '<div style="color:#b00020;border-left:3px solid #b00020;padding:4px 8px">'
        f"<b>{escape(title)}</b>: {escape(for_people(_message(exc)))}{extra}</div>"
    )


def _message(exc: BaseException) -> str:
    """The message without the request id (shown on its own line)."""
    return str(exc.args[0]) if isinstance(exc, APIError) and exc.args else str(exc)


def close_tree(
    widget: w.Widget,
    close: Callable[[], None] | None = None,
    *,
    keep: Collection[w.Widget] = (),
) -> None:
    """Close a widget, then everything inside it, with layouts and styles (their state leaves).

    The container closes first, so no open widget ever lists a closed child.

    Args:
        widget: the root of the tree.
        close: how to close the root itself (a subclass's ``close`` passes ``super().close``,
            which would otherwise be called again).
        keep: widgets to leave open, with what is inside them (parts still in use elsewhere).
    """
    if any(widget is kept for kept in keep):
        return
    children = list(getattr(widget, "children", ()))
    parts = [getattr(widget, "layout", None), getattr(widget, "style", None)]
    (close or widget.close)()
    for child in children:
        close_tree(child, keep=keep)
    for part in parts:
        if isinstance(part, w.Widget):
            part.close()
