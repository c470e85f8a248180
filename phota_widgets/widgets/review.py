"""``ReviewPanel``: blind side-by-side judging of a sweep's outputs, one pair at a time.

Two outputs of the same prompt and input from different variants are shown large, left/right at
random; their settings stay hidden until the judgement is made, then both sides are revealed
and *Next* moves on. Every judgement goes to the run store at once (who, when, which side each
output was shown on). The pair is a :class:`ReviewKeys` anywidget with real key events anywhere in
the panel (``1`` left, ``2`` right, ``3`` tie, ``4`` both bad, ``0`` skip, ``n`` next); the next
pair's thumbnails are sent ahead, so it shows the moment the key is pressed.

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

from phota_widgets.experiments.review.change_maps import change_picture, changed_fraction_of
from phota_widgets.experiments.review.design import pairs_for
from phota_widgets.experiments.review.judgements import (
    default_judge,
    judgements,
    login_judge_warning,
)
from phota_widgets.experiments.review.judgements import judge as record_judgement
from phota_widgets.experiments.review.leaderboard import position_bias_of
from phota_widgets.experiments.review.pairs import ReviewPair, review_items, schedule_pairs
from phota_widgets.store.judging import AlreadyJudgedError
from phota_widgets.widgets._common import ErrorBox, close_tree, styled, ui_call, ui_method
from phota_widgets.widgets.review_keys import KEYS, PAIR_PX, ReviewKeys

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.cells import SweepOutput
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

    Attributes:
        pairs: the schedule (pairs this judge has not judged yet, when the panel opened).
        position: index of the pair shown.
        judged, skipped: how many pairs were judged and skipped here.
        already_judged: pairs this judge had judged elsewhere meanwhile (refused, moved past).
        judge_warning: the warning shown when the judge is the OS login (else None).
        left_button, right_button, tie_button, both_bad_button, skip_button: the verdicts.
        next_button: the next pair.
        pair_view: the two images and the keyboard (a :class:`ReviewKeys` anywidget).
        progress, notice, judge_note, reveals, change_maps, error: what the panel shows.
    """

    def __init__(
        self,
        result: SweepResult,
        *,
        judge: str | None = None,
        seed: int | None = None,
        compare: str | Sequence[str] | None = None,
    ) -> None:
        self.result = result
        self.judge = judge or default_judge()
        self.judge_warning = login_judge_warning(judge)
        if self.judge_warning:
            warnings.warn(self.judge_warning, UserWarning, stacklevel=2)
        done = {
            frozenset((j.output_a, j.output_b)) for j in judgements(result) if j.judge == self.judge
        }
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
        self.left_button = _button("◀ Left better", "1", "review-left", "success")
        self.right_button = _button("Right better ▶", "2", "review-right", "success")
        self.tie_button = _button("Tie", "3", "review-tie")
        self.both_bad_button = _button("Both bad", "4", "review-both-bad", "warning")
        self.skip_button = _button("Skip", "0", "review-skip")
        self.next_button = _button("Next ▶", "n", "review-next", "primary")
        self.error = ErrorBox()
        self.left_button.on_click(lambda _: self.act("left"))
        self.right_button.on_click(lambda _: self.act("right"))
        self.tie_button.on_click(lambda _: self.act("tie"))
        self.both_bad_button.on_click(lambda _: self.act("both_bad"))
        self.skip_button.on_click(lambda _: self.act("skip"))
        self.next_button.on_click(lambda _: self.act("next"))
        buttons = w.HBox(
            [
                self.left_button,
                self.tie_button,
                self.both_bad_button,
                self.skip_button,
                self.right_button,
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

    def act(self, action: str) -> concurrent.futures.Future[None]:
        """Do what a button (or key) does: judge, skip or move to the next pair.

        Runs on the UI thread (the returned future), which writes the judgement to the run
        store, then shows the settings (or the next pair).

        Raises:
            ValueError: an unknown action.
        """
        if action not in KEYS.values():
            raise ValueError(f"unknown review action {action!r}; one of {list(KEYS.values())}")
        return ui_call(self._act, action)

    def _act(self, action: str) -> None:
        pair = self.pair
        if pair is None:
            self._show()
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
        winner: str = action
        if action == "left":
            winner = pair.winner_of("left")
        elif action == "right":
            winner = pair.winner_of("right")
        try:
            record_judgement(
                self.result, pair.a.output_id, pair.b.output_id, winner, self.judge,
                shown_left=pair.left, once=True,
            )  # fmt: skip
        except AlreadyJudgedError:
            self.already_judged += 1
            self.position += 1
            self._show()
            self.notice.value = (
                "<small>That pair was already judged by "
                f"<code>{escape(self.judge)}</code> in another panel: not recorded twice; "
                "here is the next one.</small>"
            )
            return
        except (KeyError, ValueError, OSError) as exc:
            self.error.show_error(exc)
            return
        self.judged += 1
        self._answered = True
        self._reveal(pair, winner)

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
            self.title.value = self._finished_html()
            return
        left, right = (self.result.output(item.output_id) for item in pair.shown)
        self.title.value = self._title_html(pair, hidden=True)
        self.pair_view.show(self._thumbnails(pair), self._thumbnails(self._upcoming()))
        for side, out in enumerate((left, right)):
            self.reveals[side].value = ""
            self._show_change(side, out)
        self._set_buttons(judging=True)

    def _upcoming(self) -> ReviewPair | None:
        """The pair after the one shown (its images go to the browser ahead of time)."""
        after = self.position + 1
        return self.pairs[after] if after < len(self.pairs) else None

    def _thumbnails(self, pair: ReviewPair | None) -> dict[str, bytes]:
        """The pair's images as shown, left first: output id to JPEG thumbnail."""
        if pair is None:
            return {}
        store = self.result.session.store
        outputs = [self.result.output(item.output_id) for item in pair.shown]
        return {out.output_id: store.thumbnail(out.record, REVIEW_PX) for out in outputs}

    def _title_html(self, pair: ReviewPair, *, hidden: bool) -> str:
        """The question, and whether the settings are still hidden or now shown below."""
        info = self.result.output(pair.shown[0].output_id).cell.info
        prompt = info.prompt or info.template or ""
        source = f" · input <code>{escape(info.input)}</code>" if info.input else ""
        state = (
            "settings hidden until you judge"
            if hidden
            else "settings revealed below each image · Next for the next pair"
        )
        return (
            f"<div>Which is better for <b>{escape(prompt)}</b>{source}?</div>"
            f'<small style="color:#777">{state}</small>'
        )

    def _show_change(self, side: int, out: SweepOutput) -> None:
        change = change_picture(self.result, out.output_id)
        image, note = self.change_maps[side], self.change_notes[side]
        if change is None:
            image.layout.display = "none"
            note.value = ""
            return
        image.value = change
        image.layout.display = None
        fraction = changed_fraction_of(self.result, out.output_id)
        note.value = f"<small>change map · {fraction:.0%} of pixels changed</small>"

    def _reveal(self, pair: ReviewPair, winner: str) -> None:
        """Name each side's variant and what was chosen."""
        chosen = {"a": pair.a.output_id, "b": pair.b.output_id}.get(winner)
        for side, item in enumerate(pair.shown):
            out = self.result.output(item.output_id)
            verdict = (
                "✔ chosen" if item.output_id == chosen
                else {"tie": "tie", "both_bad": "both bad"}.get(winner, "")
            )  # fmt: skip
            self.reveals[side].value = (
                f'<div style="padding:4px"><b>{escape(item.variant)}</b> {escape(verdict)}'
                f"<br/><small>{escape(out.cell.info.prompt or '')} · "
                f"<code>{escape(item.output_id)}</code></small></div>"
            )
        self.title.value = self._title_html(pair, hidden=False)
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

    def _finished_html(self) -> str:
        if not self.pairs:
            return (
                "<b>Nothing to compare.</b> A review needs outputs of at least two variants for "
                "the same prompt and input (or every pair was already judged by "
                f"<code>{escape(self.judge)}</code>)."
            )
        bias = position_bias_of(self.result)
        return (
            f"<b>Review done</b>: {self.judged} judged, {self.skipped} skipped here. "
            f"<small>{escape(str(bias))}</small> The Leaderboard button shows the ranking."
        )

    @ui_method
    def refresh(self) -> None:
        """Show the current pair again."""
        self._show()

    def close(self) -> None:
        """Close the panel and everything inside it."""
        close_tree(self, super().close)


def _button(description: str, key: str, name: str, style: str = "") -> w.Button:
    button = w.Button(
        description=description,
        tooltip=f"key {key}",
        button_style=style,
        layout=w.Layout(width="auto"),
    )
    return styled(button, name)
