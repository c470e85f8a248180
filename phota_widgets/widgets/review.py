"""``ReviewPanel``: blind side-by-side judging of a sweep's outputs, one pair at a time.

Two outputs of the same prompt and input from different variants are shown large, left/right at
random; their settings stay hidden until the judgement is made, then both sides are revealed
and *Next* moves on. Every judgement goes to the run store at once (who, when, which side each
output was shown on). The pair is a :class:`ReviewKeys` anywidget with real key events anywhere in
the panel (``1`` left, ``2`` right, ``3`` tie, ``4`` both bad, ``0`` skip, ``n`` next); the next
pair's thumbnails are sent ahead, so it shows the moment the key is pressed.

With ``criteria=[...]`` each pair gets a row of winner buttons per criterion (and a letter key
per criterion that makes it the active one for ``1``-``4``); the pair is recorded, one
judgement per criterion, once every criterion has an answer (see ``review_criteria``).

Two panels open with one judge (two tabs, two kernels, two machines on a team store) never
record the same pair twice: the store refuses a pair the judge has judged since the panel
opened, and the panel says so and moves on. A judge who gave no name and has no
``PHOTA_JUDGE`` is told that the OS login names every user of a shared image alike.
"""

from __future__ import annotations

import concurrent.futures
import warnings
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Literal

import ipywidgets as w

from phota_widgets.experiments.review.criteria import same_criteria
from phota_widgets.experiments.review.design import pairs_for
from phota_widgets.experiments.review.judgements import (
    default_judge,
    judge_pair,
    login_judge_warning,
)
from phota_widgets.experiments.review.pairs import ReviewPair, review_items, schedule_pairs
from phota_widgets.store.judging import AlreadyJudgedError
from phota_widgets.widgets._common import ErrorBox, close_tree, styled, ui_call, ui_method
from phota_widgets.widgets.review_criteria import FOCUS_PREFIX, CriteriaBoard
from phota_widgets.widgets.review_keys import KEYS, PAIR_PX, ReviewKeys
from phota_widgets.widgets.review_parts import (
    done_pairs,
    finished_html,
    make_button,
    recorded_notice,
    reveal_html,
    show_change,
    stored_verdicts,
    thumbnails,
    title_html,
    verdict_winner,
)

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.result import SweepResult

REVIEW_PX = PAIR_PX
"""Longest side of the two images judged (a JPEG thumbnail, large enough to judge)."""
REVIEW_MAX_HEIGHT = "60vh"
"""Tallest an image may be, so the judging buttons stay in view under a square pair."""
CHANGE_PX = 256
Action = Literal["left", "right", "tie", "both_bad", "skip", "next"]


class ReviewPanel(w.VBox):  # type: ignore[misc]
    """Judge a sweep's outputs in blind pairs; the judgements are rows in the run store.

    Args:
        result: the sweep (``SweepResult``) to review.
        judge: the name judgements are recorded under (the OS user by default).
        seed: the seed of the pair order and the sides (a fresh one by default).
        compare: only pairs differing along these axes.
        criteria: one winner per criterion per pair (checked before anything is shown).

    Attributes:
        pairs: the schedule (pairs this judge has not judged yet, when the panel opened).
        position: index of the pair shown.
        judged, skipped: how many pairs were judged and skipped here.
        already_judged: pairs this judge had judged elsewhere meanwhile (refused, moved past).
        judge_warning: the warning shown when the judge is the OS login (else None).
        left_button, right_button, tie_button, both_bad_button, skip_button: the verdicts.
        next_button: the next pair.
        pair_view: the two images and the keyboard (a :class:`ReviewKeys` anywidget).
        criteria: the criteria asked (empty: one overall judgement per pair).
        board: their rows of buttons and the answers so far (None without criteria).
        progress, notice, judge_note, reveals, change_maps, error: what the panel shows.

    Raises:
        ValueError: criteria empty, repeated or too many.
    """

    def __init__(
        self,
        result: SweepResult,
        *,
        judge: str | None = None,
        seed: int | None = None,
        compare: str | Sequence[str] | None = None,
        criteria: Sequence[str] | None = None,
    ) -> None:
        self.criteria = same_criteria(result, criteria)
        self.result = result
        self.judge = judge or default_judge()
        self.judge_warning = login_judge_warning(judge)
        if self.judge_warning:
            warnings.warn(self.judge_warning, UserWarning, stacklevel=2)
        done = done_pairs(result, self.judge, self.criteria)
        pairs = schedule_pairs(review_items(result), seed=seed, done=done)
        self.pairs = pairs_for(result, pairs, judge=self.judge, compare=compare)
        self.position = 0
        self.judged = 0
        self.skipped = 0
        self.already_judged = 0
        self._answered = False
        self.title = styled(w.HTML(), "review-title")
        self.judge_note = styled(
            w.HTML(
                f'<small style="color:#8a6d00">{escape(self.judge_warning)}</small>'
                if self.judge_warning
                else ""
            ),
            "review-judge-note",
        )
        self.notice = styled(w.HTML(), "review-notice")
        self.progress = styled(w.HTML(), "review-progress")
        self.pair_view = ReviewKeys(max_height=REVIEW_MAX_HEIGHT)
        self.board = CriteriaBoard(self.criteria, self.act) if self.criteria else None
        if self.board is not None:
            self.pair_view.add_keys(self.board.key_map())
        self.pair_view.on_action(self._on_key)
        self.reveals = [styled(w.HTML(), "review-reveal") for _ in range(2)]
        self.change_maps = [
            styled(
                w.Image(format="jpeg", layout=w.Layout(max_width=f"{CHANGE_PX}px", display="none")),
                "review-change-map",
            )
            for _ in range(2)
        ]
        self.change_notes = [styled(w.HTML(), "review-change-note") for _ in range(2)]
        sides = []
        for name, reveal, change, note in zip(
            ("left", "right"),
            self.reveals,
            self.change_maps,
            self.change_notes,
            strict=True,
        ):
            column = w.VBox(
                [w.HBox([change, note]), reveal],
                # two equal columns that shrink: 50% each plus padding overflowed the tab
                layout=w.Layout(flex="1 1 0%", min_width="0", padding="0 6px"),
            )
            sides.append(styled(column, f"review-{name}"))
        self.left_button = make_button("◀ Left better", "1", "review-left", "success")
        self.right_button = make_button("Right better ▶", "2", "review-right", "success")
        self.tie_button = make_button("Tie", "3", "review-tie")
        self.both_bad_button = make_button("Both bad", "4", "review-both-bad", "warning")
        self.skip_button = make_button("Skip", "0", "review-skip")
        self.next_button = make_button("Next ▶", "n", "review-next", "primary")
        self.error = ErrorBox()
        self.left_button.on_click(lambda _: self.act("left"))
        self.right_button.on_click(lambda _: self.act("right"))
        self.tie_button.on_click(lambda _: self.act("tie"))
        self.both_bad_button.on_click(lambda _: self.act("both_bad"))
        self.skip_button.on_click(lambda _: self.act("skip"))
        self.next_button.on_click(lambda _: self.act("next"))
        verdicts = [self.left_button, self.tie_button, self.both_bad_button]
        buttons = w.HBox(
            [
                *(verdicts if self.board is None else []),
                self.skip_button,
                *([self.right_button] if self.board is None else []),
                self.next_button,
            ],
            layout=w.Layout(flex_flow="row wrap", justify_content="center"),
        )
        super().__init__(
            children=[
                self.title,
                self.judge_note,
                self.progress,
                self.notice,
                self.pair_view,
                w.HBox(sides),
                *([] if self.board is None else [self.board.rows]),
                buttons,
                self.error,
            ]
        )
        styled(self, "review-panel")
        self._show()  # before anyone else sees the panel: no second writer yet

    # -- what the buttons do ---------------------------------------------------------------------

    @property
    def pair(self) -> ReviewPair | None:
        """The pair shown (None once every pair was seen)."""
        return self.pairs[self.position] if self.position < len(self.pairs) else None

    def act(self, action: str, criterion: str | None = None) -> concurrent.futures.Future[None]:
        """Do what a button (or key) does: judge, skip or move to the next pair; with criteria,
        answer ``criterion`` (default: the active one) or make one active (``criterion:<i>``).

        Runs on the UI thread (the returned future), which writes the judgement to the run
        store, then shows the settings (or the next pair).

        Raises:
            ValueError: an unknown action or criterion.
        """
        known = list(KEYS.values()) + (list(self.board.key_map().values()) if self.board else [])
        if action not in known:
            raise ValueError(f"unknown review action {action!r}; one of {known}")
        if criterion is not None and criterion not in self.criteria:
            raise ValueError(f"{criterion!r} is not a criterion of this review: {self.criteria}")
        return ui_call(self._act, action, criterion)

    def _act(self, action: str, criterion: str | None = None) -> None:
        pair = self.pair
        if pair is None:
            self._show()
            return
        if action.startswith(FOCUS_PREFIX) and self.board is not None:
            if not self._answered:
                self.board.focus(action)
                self._paint_criteria(judging=True)
            return
        if action == "next":
            if self._answered:
                self.position += 1
                self._answered = False
                self._show()
            return
        if self._answered:  # already judged: only Next moves on
            return
        if action == "skip":
            self.skipped += 1
            self.position += 1
            self._show()
            return
        if self.board is None:
            self._record(pair, {None: action})
        elif self.board.answer(action, criterion):
            self._record(pair, self.board.open_answers())
        else:
            self._paint_criteria(judging=True)

    def _record(self, pair: ReviewPair, verdicts: dict[str | None, str]) -> None:
        """Record the verdicts (by criterion; None: overall) in one transaction, then reveal
        what is stored. Criteria this judge recorded meanwhile elsewhere are refused by the
        store: their stored answers replace these, and the rest are recorded."""
        refused: list[str] = []
        while verdicts:
            winners = {c: verdict_winner(pair, v) for c, v in verdicts.items()}
            try:
                judge_pair(
                    self.result, pair.a.output_id, pair.b.output_id, winners, self.judge,
                    shown_left=pair.left, once=True,
                )  # fmt: skip
                break
            except AlreadyJudgedError as exc:
                if self.board is None:
                    verdicts = {}
                    break
                stored = stored_verdicts(self.result, pair, self.judge, self.criteria)
                self.board.lock(stored)
                found = [str(c) for c in verdicts if c in stored]
                if not found:  # refused, yet nothing stored for it: never loop on it
                    self.error.show_error(exc)
                    return
                refused += found
                verdicts = {c: v for c, v in verdicts.items() if c not in stored}
            except (KeyError, ValueError, OSError) as exc:
                self.error.show_error(exc)
                return
        if not verdicts:  # everything was recorded elsewhere already
            self.already_judged += 1
            self.position += 1
            self._show()
            self.notice.value = (
                recorded_notice(refused, self.judge, "not recorded twice; here is the next one.")
                if refused
                else "<small>That pair was already judged by "
                f"<code>{escape(self.judge)}</code> in another panel: not recorded twice; "
                "here is the next one.</small>"
            )
            return
        self.judged += 1
        self._answered = True
        self._reveal(pair, verdict_winner(pair, verdicts.get(None, "")))
        if refused:
            self.notice.value = recorded_notice(refused, self.judge, "its stored answer is shown.")

    def _paint_criteria(self, *, judging: bool) -> None:
        """Show the criteria's answers and the active one, in the buttons and the keyboard."""
        if self.board is not None:
            self.board.paint(judging=judging)
            self.pair_view.set_criteria(self.board.state(), self.board.active if judging else -1)

    def _on_key(self, action: str) -> None:
        """A key pressed in the browser: act, then tell the browser what is shown now."""
        self.act(action).add_done_callback(lambda _: self.pair_view.settled())

    # -- what is shown (UI thread) ---------------------------------------------------------------

    def _counter(self) -> str:
        total = len(self.pairs)
        shown = min(self.position + 1, total)
        return (
            f"<b>Pair {shown} of {total}</b> · {self.judged} judged · {self.skipped} skipped"
            f" · judge <code>{escape(self.judge)}</code>"
        )

    def _show(self) -> None:
        """Show the current pair, settings hidden (or say the review is over)."""
        pair = self.pair
        self.error.clear()
        self.notice.value = ""
        self.progress.value = self._counter()
        if pair is None:
            self._set_buttons(judging=False, done=True)
            self.pair_view.finish()
            for reveal, change, note in zip(
                self.reveals, self.change_maps, self.change_notes, strict=True
            ):
                change.layout.display = "none"
                reveal.value = note.value = ""
            self.title.value = finished_html(self)
            return
        left, right = (self.result.output(item.output_id) for item in pair.shown)
        if self.board is not None:
            stored = stored_verdicts(self.result, pair, self.judge, self.criteria)
            self.board.reset(stored)
            if self.board.complete:  # judged by every criterion elsewhere since the panel opened
                self.already_judged += 1
                self.position += 1
                self._show()
                return
            if stored:
                self.notice.value = recorded_notice(
                    list(stored), self.judge, "shown, locked; answer the others."
                )
        self.title.value = title_html(self.result, pair, hidden=True, criteria=self.criteria)
        self.pair_view.show(
            thumbnails(self.result, pair, REVIEW_PX),
            thumbnails(self.result, self._upcoming(), REVIEW_PX),
        )
        for side, out in enumerate((left, right)):
            self.reveals[side].value = ""
            show_change(self.result, out.output_id, self.change_maps[side], self.change_notes[side])
        self._set_buttons(judging=True)

    def _upcoming(self) -> ReviewPair | None:
        """The pair after the one shown (its images go to the browser ahead of time)."""
        after = self.position + 1
        return self.pairs[after] if after < len(self.pairs) else None

    def _reveal(self, pair: ReviewPair, winner: str) -> None:
        """Name each side's variant and what was chosen (by each criterion)."""
        ids = {"a": pair.a.output_id, "b": pair.b.output_id}
        if self.board is not None:  # what is stored, whichever panel recorded it
            self.board.answers = stored_verdicts(self.result, pair, self.judge, self.criteria)
        for side, item in enumerate(pair.shown):
            verdict = (
                "✔ chosen" if item.output_id == ids.get(winner)
                else {"tie": "tie", "both_bad": "both bad"}.get(winner, "")
            )  # fmt: skip
            if self.board is not None:
                by = {n: ids.get(verdict_winner(pair, v)) for n, v in self.board.answers.items()}
                verdict = self.board.verdict_of(by, item.output_id)
            prompt = self.result.output(item.output_id).cell.info.prompt
            self.reveals[side].value = reveal_html(item.variant, verdict, prompt, item.output_id)
        self.title.value = title_html(self.result, pair, hidden=False, criteria=self.criteria)
        self.pair_view.answered = True
        self.progress.value = self._counter()
        self._set_buttons(judging=False)

    def _set_buttons(self, *, judging: bool, done: bool = False) -> None:
        for button in (
            self.left_button, self.right_button, self.tie_button, self.both_bad_button,
            self.skip_button,
        ):  # fmt: skip
            button.disabled = not judging or done
        self.next_button.disabled = judging or done
        self._paint_criteria(judging=judging and not done)

    @ui_method
    def refresh(self) -> None:
        """Show the current pair again."""
        self._show()

    def close(self) -> None:
        """Close the panel and everything inside it."""
        close_tree(self, super().close)
