"""The review panel's criteria: a row of winner buttons per criterion, and the answers so far.

A pair reviewed with ``criteria=[...]`` gets one answer per criterion before anything is
recorded. Buttons answer their own row; keys answer the *active* criterion (``1``-``4``) and
move on to the next one unanswered, and each criterion's letter makes it the active one. When
every criterion has an answer the panel records them, one judgement each. Criteria this judge
had recorded for the pair already (a panel reopened with a new criterion, or another panel)
show their stored answer, locked: neither the buttons, the letters nor 1-4 change them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

import ipywidgets as w

from phota_widgets.experiments.review.criteria import criterion_keys
from phota_widgets.widgets._common import styled

VERDICTS = ("left", "tie", "both_bad", "right")
"""The answers a criterion's row offers, in the order shown."""
LABELS = {"left": "◀ Left", "tie": "Tie", "both_bad": "Both bad", "right": "Right ▶"}
STYLES = {"left": "success", "tie": "", "both_bad": "warning", "right": "success"}
CHOSEN_STYLE = "info"
FOCUS_PREFIX = "criterion:"
"""Actions that make a criterion active: ``criterion:<index>``."""


class CriteriaBoard:
    """The criteria of one review: their keys, buttons and the answers given to the pair shown.

    Args:
        criteria: the checked criterion names (see ``check_criteria``).
        on_answer: called with (verdict, criterion) when a criterion's button is clicked.

    Attributes:
        criteria: the names, in order.
        keys: each criterion's letter.
        answers: criterion -> the verdict given for the pair shown (``left``, ``right``,
            ``tie``, ``both_bad``).
        recorded: the criteria whose answer was in the store already (locked).
        active: index of the criterion the keys 1-4 answer.
        buttons: criterion -> verdict -> its button.
        rows: the widget holding a labelled row of buttons per criterion.
    """

    def __init__(self, criteria: Sequence[str], on_answer: Callable[[str, str], object]) -> None:
        self.criteria = list(criteria)
        self.keys = criterion_keys(self.criteria)
        self.answers: dict[str, str] = {}
        self.recorded: set[str] = set()
        self.active = 0
        self.buttons: dict[str, dict[str, w.Button]] = {}
        self.labels: dict[str, w.HTML] = {}
        rows = []
        for name in self.criteria:
            self.labels[name] = styled(w.HTML(), "review-criterion-label")
            row = {}
            for verdict in VERDICTS:
                button = w.Button(
                    description=LABELS[verdict],
                    tooltip=f"{name}: {verdict.replace('_', ' ')}",
                    button_style=STYLES[verdict],
                    layout=w.Layout(width="auto"),
                )
                button.on_click(lambda _, v=verdict, c=name: on_answer(v, c))
                row[verdict] = styled(button, f"review-criterion-{verdict.replace('_', '-')}")
            self.buttons[name] = row
            line = w.HBox(
                [self.labels[name], *row.values()],
                layout=w.Layout(flex_flow="row wrap", justify_content="center"),
            )
            rows.append(styled(line, "review-criterion"))
        self.rows = styled(w.VBox(rows), "review-criteria")
        self.paint(judging=True)

    def key_map(self) -> dict[str, str]:
        """Each criterion's letter and its action (``criterion:<index>``)."""
        return {key: f"{FOCUS_PREFIX}{k}" for k, key in enumerate(self.keys.values())}

    def focus(self, action: str) -> None:
        """Make the criterion of a ``criterion:<index>`` action the active one."""
        index = int(action.removeprefix(FOCUS_PREFIX))
        if 0 <= index < len(self.criteria) and self.criteria[index] not in self.recorded:
            self.active = index

    def answer(self, verdict: str, criterion: str | None = None) -> bool:
        """Give ``criterion`` (default: the active one) an answer; the next criterion without
        one becomes active. Returns whether every criterion now has an answer."""
        name = self.criteria[self.active] if criterion is None else criterion
        if name not in self.recorded:
            self.answers[name] = verdict
            self.active = self._next_open(self.criteria.index(name) + 1)
        return self.complete

    def _next_open(self, start: int) -> int:
        """The first criterion from ``start`` on (round the end) without an answer, else the
        active one."""
        for step in range(len(self.criteria)):
            index = (start + step) % len(self.criteria)
            if self.criteria[index] not in self.answers:
                return index
        return self.active

    @property
    def complete(self) -> bool:
        """Every criterion has an answer."""
        return all(name in self.answers for name in self.criteria)

    def reset(self, stored: Mapping[str, str] | None = None) -> None:
        """A new pair: only the answers ``stored`` already (locked), the first criterion
        without one active."""
        self.answers = dict(stored or {})
        self.recorded = set(self.answers)
        self.active = 0
        self.active = self._next_open(0)

    def lock(self, stored: Mapping[str, str]) -> None:
        """Answers found recorded meanwhile: they replace those given here, locked."""
        self.answers.update(stored)
        self.recorded |= set(stored)
        self.active = self._next_open(self.active)

    def open_answers(self) -> dict[str | None, str]:
        """The answers given here (not recorded before), in the criteria's order."""
        return {
            name: self.answers[name]
            for name in self.criteria
            if name in self.answers and name not in self.recorded
        }

    def state(self) -> list[dict[str, str]]:
        """What the keyboard view shows: each criterion's name, letter and answer so far."""
        return [
            {
                "name": name,
                "key": self.keys[name],
                "answer": self.answers.get(name, ""),
                "recorded": "yes" if name in self.recorded else "",
            }
            for name in self.criteria
        ]

    def paint(self, *, judging: bool) -> None:
        """Mark each row's answer and the active row; buttons off unless ``judging``."""
        for k, name in enumerate(self.criteria):
            active = judging and k == self.active
            mark = "▶ " if active else ""
            weight = "font-weight:600;" if active else ""
            locked = name in self.recorded
            note = ' <small style="color:#777">recorded before</small>' if locked else ""
            self.labels[name].value = (
                f'<span style="{weight}display:inline-block;min-width:12em">{mark}'
                f"<kbd>{escape(self.keys[name])}</kbd> {escape(name)}{note}</span>"
            )
            for verdict, button in self.buttons[name].items():
                chosen = self.answers.get(name) == verdict
                button.button_style = CHOSEN_STYLE if chosen else STYLES[verdict]
                button.description = ("✔ " if chosen else "") + LABELS[verdict]
                button.disabled = not judging or locked

    def verdict_of(self, chosen: dict[str, str | None], output_id: str) -> str:
        """One side's results after judging: each criterion and how this side fared."""
        parts = []
        for name in self.criteria:
            winner = chosen.get(name)
            verdict = self.answers.get(name, "")
            if winner is not None:
                word = "✔" if winner == output_id else "✘"
            else:
                word = {"tie": "tie", "both_bad": "both bad"}.get(verdict, "")
            parts.append(f"{name} {word}")
        return " · ".join(parts)
