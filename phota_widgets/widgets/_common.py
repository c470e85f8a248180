"""Small pieces every panel shares: stable CSS classes, the status line and the error box."""

from __future__ import annotations

import time
from html import escape
from typing import TypeVar

import ipywidgets as w

from phota_widgets.api.errors import APIError, InvalidRequestError, PhotaError

W = TypeVar("W", bound=w.DOMWidget)


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
        f"<b>{escape(title)}</b>: {escape(_message(exc))}{extra}</div>"
    )


def _message(exc: BaseException) -> str:
    """The message without the request id (shown on its own line)."""
    return str(exc.args[0]) if isinstance(exc, APIError) and exc.args else str(exc)


def close_tree(widget: w.Widget) -> None:
    """Close a widget, then everything inside it, with layouts and styles (their state leaves).

    The container closes first, so no open widget ever lists a closed child.
    """
    children = list(getattr(widget, "children", ()))
    parts = [getattr(widget, "layout", None), getattr(widget, "style", None)]
    widget.close()
    for child in children:
        close_tree(child)
    for part in parts:
        if isinstance(part, w.Widget):
            part.close()
