"""``LoginBox``: enter a Phota API key without leaving it in widget state or a saved notebook."""

from __future__ import annotations

import concurrent.futures
import threading
import warnings
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

import ipywidgets as w

from phota_widgets.session.key_check import KeyRefusedError, NoNetworkError
from phota_widgets.widgets._common import ErrorBox, styled, ui_call

if TYPE_CHECKING:
    from phota_widgets.session import Session


def login(session: Session, base_url: str | None = None) -> LoginBox:
    """The login box for a session, to show in a cell (``pw.login(session)``).

    Args:
        session: the session a key switches to the real API.
        base_url: the API root to use (default: Phota's).
    """
    return LoginBox(session, base_url=base_url)


class LoginBox(w.VBox):  # type: ignore[misc]
    """A password box and a "Use key" button that switch a Session to the real Phota API.

    The key is read once and the password box is cleared at once, so it never stays in the
    widget's synced state (or in a notebook saved with widget state). Nothing shows the key.
    Enter in the box or the button checks the key with one cheap call first, off the kernel's
    thread (the box says it is checking): a wrong key is refused here, an unreachable API is
    called "no network", and in both cases the session stays as it was. "Use offline server"
    switches back to an embedded stand-in server.

    Args:
        session: the session to switch.
        base_url: the API root to use (default: Phota's).
        on_switch: called after the session changed backend (the Studio's header follows it).
    """

    def __init__(
        self,
        session: Session,
        base_url: str | None = None,
        *,
        on_switch: Callable[[], object] | None = None,
    ) -> None:
        self._session = session
        self._base_url = base_url
        self._on_switch = on_switch
        self.checking: concurrent.futures.Future[bool] | None = None
        """The last key check (see :meth:`submit`)."""
        self.key = styled(
            w.Password(
                value="",
                placeholder="paste your Phota API key",
                description="API key",
                layout=w.Layout(width="360px"),
            ),
            "login-key",
        )
        self.submit_button = styled(
            w.Button(description="Use key", button_style="primary", icon="key"), "login-submit"
        )
        self.offline_button = styled(
            w.Button(
                description="Use offline server",
                icon="plug",
                tooltip="switch back to the embedded stand-in server (no key, no cost)",
                layout=w.Layout(width="auto"),
            ),
            "login-offline",
        )
        self.message = styled(w.HTML(value=self._where()), "login-message")
        self.error = ErrorBox()
        self.submit_button.on_click(self._on_submit)
        with warnings.catch_warnings():  # Enter in the box (ipywidgets 8 sends a "submit" event)
            warnings.simplefilter("ignore", DeprecationWarning)
            self.key.on_submit(lambda _box: self.submit())
        self.offline_button.on_click(lambda _: self.use_offline())
        super().__init__(
            children=[
                w.HBox(
                    [self.key, self.submit_button, self.offline_button],
                    layout=w.Layout(flex_flow="row wrap"),
                ),
                self.message,
                self.error,
            ]
        )
        styled(self, "login")
        self._show_buttons()

    def submit(self) -> concurrent.futures.Future[bool]:
        """What the button does: check and use the typed key, off the kernel's thread.

        Returns at once (the key check is a network call: up to 10 s when the API cannot be
        reached); the future, also kept as :attr:`checking`, says whether the session switched.
        """
        done: concurrent.futures.Future[bool] = concurrent.futures.Future()
        self.checking = done
        key = self.key.value
        self.key.value = ""  # first, so the key leaves the widget state whatever happens next
        self.error.clear()
        if not key.strip():
            self.error.show_error(ValueError("enter an API key first (the box was empty)"))
            done.set_result(False)
            return done
        self.message.value = "Checking the key with one call to the API…"
        self.submit_button.disabled = True

        def check(typed: str) -> None:
            outcome: BaseException | None = None
            try:
                self._session.use_key(typed, self._base_url)
            except BaseException as exc:  # told in the header, on the UI thread
                outcome = exc if isinstance(exc, KEY_REFUSALS) else _scrubbed(exc, typed)
            ui_call(self._checked, outcome, done)

        threading.Thread(target=check, args=(key,), name="phota-key-check", daemon=True).start()
        return done

    def _checked(
        self, outcome: BaseException | None, done: concurrent.futures.Future[bool]
    ) -> None:
        """The key check ended: say how, and follow the switch (on the UI thread)."""
        self.submit_button.disabled = False
        if outcome is None:
            self.message.value = (
                f"Using the Phota API at <code>{escape(self._session.backend)}</code>. "
                "The key is kept in this kernel's memory only."
            )
            self._switched()
        else:
            self.message.value = self._where()
            if isinstance(outcome, KEY_REFUSALS):  # said in words, in the header
                self.error.value = _refusal_html(outcome)
            elif isinstance(outcome, Exception):  # shown, never raised into the front end
                self.error.show_error(outcome)
        done.set_result(outcome is None)

    def use_offline(self) -> bool:
        """What "Use offline server" does: switch to an embedded stand-in; returns success."""
        self.error.clear()
        try:
            self._session.use_local()
        except Exception as exc:  # shown, never raised into the front end
            self.error.show_error(exc)
            return False
        self.message.value = self._where()
        self._switched()
        return True

    def _switched(self) -> None:
        self._show_buttons()
        if self._on_switch is not None:
            self._on_switch()

    def _show_buttons(self) -> None:
        self.offline_button.layout.display = "none" if self._session.is_local else None

    def _on_submit(self, _button: w.Button) -> None:
        self.submit()

    def _where(self) -> str:
        if self._session.is_local:
            return (
                "Offline: the embedded local stand-in server (not Phota's models, no cost). "
                "Enter a Phota API key to use the real API."
            )
        return f"This session uses <code>{escape(self._session.backend)}</code>."


def _refusal_html(exc: KeyRefusedError | NoNetworkError) -> str:
    """The key check's answer, titled for a person ("Key refused" or "No network")."""
    title = "Key refused" if isinstance(exc, KeyRefusedError) else "No network"
    text = str(exc.args[0] if exc.args else exc).removeprefix("no network: ")
    return (
        '<div class="phota-login-check" style="color:#b00020;border-left:3px solid #b00020;'
        f'padding:4px 8px"><b>{title}</b>: {escape(text)}</div>'
    )


KEY_REFUSALS = (KeyRefusedError, NoNetworkError)


def _scrubbed(exc: BaseException, key: str) -> BaseException:
    """The exception itself, or a plain one when its text would reveal the key."""
    text = str(exc)
    stripped = key.strip()
    if stripped and (stripped in text or key in text):
        return RuntimeError(f"{type(exc).__name__} while switching to the key (details hidden)")
    return exc
