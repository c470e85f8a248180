"""``RatingBox``: 1-5 stars and a note for any output of the sweep shown in the grid.

Choose an output (labelled by prompt, variant and repeat), see it (with its change map for edit,
enhance and remix), click the stars, write a note, and *Rate* stores it in the run store.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

import ipywidgets as w

from phota_widgets.experiments.review.change_maps import change_picture, find_output
from phota_widgets.experiments.review.judgements import default_judge
from phota_widgets.widgets._common import ErrorBox, styled, ui_call

if TYPE_CHECKING:
    import concurrent.futures

    from phota_widgets.experiments.sweeps.result import SweepResult

PREVIEW_PX = 256


class RatingBox(w.VBox):  # type: ignore[misc]
    """Stars and a note per output of a sweep (all writes on the UI thread).

    Args:
        on_rated: called (on the UI thread) after a rating is stored.

    Attributes:
        output, preview, change_map, stars, note, rate_button, message, error: its parts.
    """

    def __init__(self, on_rated: Callable[[], object] | None = None) -> None:
        self.result: SweepResult | None = None
        self._on_rated = on_rated
        self.output = styled(
            w.Dropdown(options=[], description="Output", layout=w.Layout(width="32em")),
            "rating-output",
        )
        self.preview = styled(
            w.Image(format="jpeg", layout=w.Layout(max_width=f"{PREVIEW_PX}px")), "rating-preview"
        )
        self.change_map = styled(
            w.Image(format="jpeg", layout=w.Layout(max_width=f"{PREVIEW_PX}px", display="none")),
            "rating-change-map",
        )
        self.stars = styled(
            w.ToggleButtons(
                options=[("★" * n, n) for n in range(1, 6)],
                value=None,
                style={"button_width": "auto"},
            ),
            "rating-stars",
        )
        self.note = styled(
            w.Text(placeholder="note (optional)", layout=w.Layout(width="24em")), "rating-note"
        )
        self.rate_button = styled(
            w.Button(description="Rate", icon="star", layout=w.Layout(width="auto")), "rate"
        )
        self.message = styled(w.HTML(), "rating-message")
        self.error = ErrorBox()
        self.rate_button.on_click(lambda _: self.rate())
        self._refilling = False
        self.output.observe(self._chosen, names="value")
        super().__init__(
            children=[
                self.output,
                w.HBox([self.preview, self.change_map]),
                w.HBox([self.stars, self.note, self.rate_button]),
                self.message,
                self.error,
            ]
        )
        styled(self, "rating-box")
        self.layout.display = "none"

    def set_result(self, result: SweepResult) -> None:
        """Offer the outputs of this sweep (on the UI thread; the choice is kept if it remains)."""
        self.result = result
        current = self.output.value
        options = [
            (
                f"{(o.cell.info.prompt or '')[:40]} · {o.cell.info.variant} · "
                f"#{o.cell.info.repeat + 1} · {o.output_id}",
                o.output_id,
            )
            for o in result.outputs()
        ]
        ids = [value for _, value in options]
        chosen = current if current in ids else (ids[0] if ids else None)
        self._refilling = True  # new options reset the choice for a moment: not a choice
        try:
            if list(self.output.options) != options:
                self.output.options = options
            self.output.value = chosen
        finally:
            self._refilling = False
        self.layout.display = None if ids else "none"
        if chosen != current:
            self._preview()  # another output: its picture and the rating given it
        else:  # the same one (the store changed): the stars and note being typed are kept
            self._show_output()

    def _chosen(self, _: object) -> None:
        """A person chose another output: show it (not while the options are refilled)."""
        if not self._refilling:
            ui_call(self._preview)

    def _preview(self) -> None:
        """Show the chosen output and the stars and note this judge gave it."""
        if not self._show_output():
            return
        result, chosen = self.result, self.output.value
        assert result is not None  # shown: there is a result and a choice
        mine = [r for r in result.session.store.ratings([chosen]) if r.judge == _me()]
        self.stars.value = mine[-1].stars if mine else None
        self.note.value = (mine[-1].note or "") if mine else ""

    def _show_output(self) -> bool:
        """Show the chosen output and its change map; False when there is none."""
        result, chosen = self.result, self.output.value
        if result is None or not chosen:
            return False
        out = find_output(result, chosen)
        self.preview.value = result.session.store.thumbnail(out.record, PREVIEW_PX)
        change = change_picture(result, chosen)
        if change is not None:
            self.change_map.value = change
            self.change_map.layout.display = None
        else:
            self.change_map.layout.display = "none"
        return True

    def rate(self) -> concurrent.futures.Future[None]:
        """Store the chosen stars and note for the chosen output (what Rate does)."""
        return ui_call(self._rate)

    def _rate(self) -> None:
        result, chosen = self.result, self.output.value
        self.error.clear()
        if result is None or not chosen:
            return
        if self.stars.value is None:
            self.error.show_error(ValueError("choose 1 to 5 stars first"))
            return
        try:
            rated = result.rate(chosen, int(self.stars.value), self.note.value.strip() or None)
        except (KeyError, ValueError) as exc:
            self.error.show_error(exc)
            return
        self.message.value = (
            f"<small>Rated <code>{escape(chosen)}</code> {'★' * rated.stars} "
            f"as <code>{escape(rated.judge)}</code></small>"
        )
        if self._on_rated is not None:
            self._on_rated()


def _me() -> str:
    return default_judge()
