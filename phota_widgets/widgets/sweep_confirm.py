"""The Experiments tab's question before a costly sweep: what it sends, what it may cost."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import ipywidgets as w

from phota_widgets.widgets._common import styled, ui_call


class SpendConfirm(w.VBox):  # type: ignore[misc]
    """A hidden bar that asks "Send it?" with the plan's cost; Yes calls back, No hides it.

    Attributes:
        question: the text (the calls and the cost).
        yes_button: "Spend up to $X" (class ``phota-sweep-confirm-yes``).
        no_button: "Don't send" (class ``phota-sweep-confirm-no``).
    """

    def __init__(self) -> None:
        self._on_yes: Callable[[], object] | None = None
        self.question = styled(w.HTML(), "sweep-confirm-question")
        self.yes_button = styled(
            w.Button(description="Spend", button_style="warning", icon="check"),
            "sweep-confirm-yes",
        )
        self.no_button = styled(
            w.Button(description="Don't send", icon="times"), "sweep-confirm-no"
        )
        self.yes_button.on_click(lambda _b: ui_call(self._yes))  # one writer: the UI thread
        self.no_button.on_click(lambda _b: ui_call(self.dismiss))
        super().__init__(
            children=[self.question, w.HBox([self.yes_button, self.no_button])],
            layout=w.Layout(
                display="none", border="1px solid #f0a500", padding="4px 8px", margin="4px 0"
            ),
        )
        styled(self, "sweep-confirm")

    @property
    def asking(self) -> bool:
        """Whether the question is shown."""
        return bool(self.layout.display != "none")

    def ask(self, question: str, cost: float, on_yes: Callable[[], object]) -> None:
        """Show the question (on the UI thread); ``on_yes`` runs there when Spend is clicked."""
        self._on_yes = on_yes
        self.question.value = (
            f"<b>Send this sweep?</b> {escape(question)} "
            "It runs on the real API and is charged to your account."
        )
        self.yes_button.description = f"Spend up to ${cost:.2f}"
        self.layout.display = None

    def dismiss(self) -> None:
        """Hide the question; nothing is sent."""
        self._on_yes = None
        self.layout.display = "none"

    def _yes(self) -> None:
        on_yes = self._on_yes
        self.dismiss()
        if on_yes is not None:
            on_yes()
