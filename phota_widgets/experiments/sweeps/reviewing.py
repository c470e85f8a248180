"""The review half of ``SweepResult``: panels, judgements, ratings, leaderboards, agreement,
assignment, a model judge, preference data (the work is in ``experiments/review/``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    import pandas

    from phota_widgets.experiments.exports.preferences import PreferenceFormat
    from phota_widgets.experiments.review.agreement import Agreement
    from phota_widgets.experiments.review.model_judge import AutoJudgeReport
    from phota_widgets.experiments.sweeps.result import SweepResult
    from phota_widgets.store import JudgementRecord, RatingRecord
    from phota_widgets.widgets.review import ReviewPanel


class ReviewMethods:
    """Review, ranking and preference methods of a sweep (mixed into ``SweepResult``)."""

    def _result(self) -> SweepResult:
        return cast("SweepResult", self)

    def review(
        self,
        *,
        judge: str | None = None,
        seed: int | None = None,
        compare: str | Sequence[str] | None = None,
        criteria: Sequence[str] | None = None,
    ) -> ReviewPanel:
        """A blind pairwise :class:`~phota_widgets.widgets.review.ReviewPanel` of this sweep
        (``compare``: only pairs differing along these axes; ``judge``: their assigned pairs;
        ``criteria``: one winner per criterion per pair, e.g. ``["realism", "likeness"]``).

        Raises:
            ValueError: criteria empty, repeated or too many (before anything is recorded).
        """
        from phota_widgets.widgets.review import ReviewPanel

        return ReviewPanel(
            self._result(), judge=judge, seed=seed, compare=compare, criteria=criteria
        )

    def judge(
        self,
        output_a: str,
        output_b: str,
        winner: str,
        judge: str | None = None,
        *,
        criterion: str | None = None,
    ) -> JudgementRecord:
        """Record that ``winner`` (``"a"``, ``"b"``, ``"tie"``, ``"both_bad"``) is better,
        overall or by ``criterion``."""
        from phota_widgets.experiments.review import judgements

        return judgements.judge(
            self._result(), output_a, output_b, winner, judge, criterion=criterion
        )

    def rate(
        self, output_id: str, stars: int, note: str | None = None, judge: str | None = None
    ) -> RatingRecord:
        """Give an output 1-5 stars (and a note); kept in the run store."""
        from phota_widgets.experiments.review import judgements

        return judgements.rate(self._result(), output_id, stars, note, judge)

    def leaderboard(
        self,
        by: str | None = None,
        *,
        seed: int = 0,
        judge: str | None = None,
        criterion: str | None = None,
    ) -> pandas.DataFrame:
        """One row per variant (or per value of the setting ``by``), best first, with intervals.

        ``judge``: rank by one person's judgements and ratings (default: everyone's).
        ``criterion``: rank by the judgements by that criterion (default: the overall ones; a
        sweep judged by criteria only is refused with the criteria to choose from).
        """
        from phota_widgets.experiments.review import leaderboard
        from phota_widgets.experiments.review.needed import with_needed

        result = self._result()
        board = leaderboard.leaderboard(result, by, seed=seed, judge=judge, criterion=criterion)
        return with_needed(result, board, by, judge, criterion)

    def export_preferences(
        self, path: str | os.PathLike[str], format: PreferenceFormat = "trl"
    ) -> list[Path]:
        """Write judgements and picks as preference data (``trl``, ``pickapic``, ``jsonl``):
        ``path``, then a file per criterion judged beside it."""
        from phota_widgets.experiments.exports.preference_data import export_preferences

        return export_preferences(self._result(), Path(path), format)

    def agreement(
        self,
        judge_a: str | None = None,
        judge_b: str | None = None,
        *,
        criterion: str | None = None,
    ) -> Agreement | pandas.DataFrame:
        """Two judges' agreement (share, Cohen's kappa, disagreements), or with no names a
        table of every two judges with pairs in common; overall, or by ``criterion``."""
        from phota_widgets.experiments.review.agreement import agreement_of

        return agreement_of(self._result(), judge_a, judge_b, criterion)

    def assign(
        self,
        judges: Sequence[str],
        *,
        overlap: float = 0.2,
        compare: str | None = None,
        criteria: Sequence[str] | None = None,
    ) -> pandas.DataFrame:
        """Split the pairs no person has judged (overall, or by every one of ``criteria``)
        among annotators, ``overlap`` of them judged by two; model judges' pairs stay in."""
        from phota_widgets.experiments.review.design import assign

        return assign(self._result(), judges, overlap=overlap, compare=compare, criteria=criteria)

    def auto_judge(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        criteria: Sequence[str] | None = None,
        limit: int | None = None,
        prices: tuple[float, float] | None = None,
    ) -> AutoJudgeReport:
        """Judge the scheduled pairs with an OpenAI-compatible vision model (judge
        ``model:<name>``), each pair asked twice with the sides swapped; resumable.
        ``criteria``: one winner per criterion per pair (both asked in one request per order)."""
        from phota_widgets.experiments.review.model_judge import run_auto_judge

        return run_auto_judge(self._result(), model, base_url, api_key_env, criteria, limit, prices)
