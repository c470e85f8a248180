"""A model judge: an OpenAI-compatible vision model judges a sweep's scheduled pairs.

Each pair is asked twice, the sides swapped: both images (thumbnails of at most
``IMAGE_PX``) and the filled prompt, answering ``{"winner": "left" | "right" | "tie" |
"both_bad"}``. Two answers naming the same output give it the win (two ties a tie, two "both
bad" both bad); answers that differ give a tie marked position-inconsistent. A judge that
flips with the sides is not to be trusted: the share of inconsistent pairs is reported.

Judgements go into the run store as judge ``model:<name>`` (so ``res.agreement("ana",
"model:<name>")`` and ``res.leaderboard(judge=...)`` use them), with both answers, tokens and
cost beside them. A pair this judge has answered is never asked again, so a second run resumes;
a pair with a malformed answer is not recorded (counted, and asked again next time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from phota_widgets.api.thumbnails import data_uri
from phota_widgets.store.model_judging import ModelJudgementRecord, pair_key

if TYPE_CHECKING:
    from phota_widgets.experiments.review.model_client import ModelClient
    from phota_widgets.experiments.review.pairs import ReviewPair
    from phota_widgets.experiments.sweeps.result import SweepResult

__all__ = ["AutoJudgeReport", "auto_judge", "judge_name", "run_auto_judge"]

IMAGE_PX = 512
ANSWERS = ("left", "right", "tie", "both_bad")
SYSTEM = (
    "You compare two images made for the same prompt. Answer with one JSON object only: "
    '{"winner": "left" | "right" | "tie" | "both_bad", "reason": "<one sentence>"}.'
)


def judge_name(model: str) -> str:
    """The judge a model's judgements are recorded under: ``model:<name>``."""
    return f"model:{model}"


@dataclass
class AutoJudgeReport:
    """What a model judge did in one call.

    Attributes:
        judge: ``model:<name>``.
        judged: pairs judged now (each asked twice).
        consistent, inconsistent: of those, pairs whose two answers agreed or differed.
        malformed: pairs left unrecorded because an answer was not the JSON asked for.
        already: pairs this judge had answered before (not asked again).
        tokens_in, tokens_out, cost: of the requests made now (cost None without prices).
    """

    judge: str
    judged: int = 0
    consistent: int = 0
    inconsistent: int = 0
    malformed: int = 0
    already: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float | None = None

    @property
    def inconsistent_share(self) -> float:
        """Share of the pairs judged now whose answer flipped with the sides (NaN for none)."""
        return self.inconsistent / self.judged if self.judged else float("nan")

    def __str__(self) -> str:
        if not self.judged:
            text = f"{self.judge}: nothing judged now ({self.already} pairs answered before"
            return text + (f", {self.malformed} malformed answers)" if self.malformed else ")")
        cost = "" if self.cost is None else f", ${self.cost:.4f}"
        warning = (
            " (it flips with the sides: do not trust it)" if self.inconsistent_share > 0.2 else ""
        )
        return (
            f"{self.judge}: {self.judged} pairs judged, {self.inconsistent} position-inconsistent "
            f"({self.inconsistent_share:.0%}){warning}; {self.malformed} malformed, "
            f"{self.already} answered before; {self.tokens_in + self.tokens_out:,} tokens{cost}"
        )


def _question(result: SweepResult, pair: ReviewPair, left_first: bool, criteria: str) -> Any:
    first, second = result.output(pair.a.output_id), result.output(pair.b.output_id)
    left, right = (first, second) if left_first else (second, first)
    prompt = first.cell.info.prompt or "(no prompt: judge the images themselves)"
    text = f"Prompt: {prompt}\nJudge by: {criteria}.\nThe first image is left, the second right."
    store = result.session.store
    return [
        {"type": "text", "text": text},
        *(
            {
                "type": "image_url",
                "image_url": {"url": data_uri(store.thumbnail(o.record, IMAGE_PX))},
            }
            for o in (left, right)
        ),
    ]


def _answer(data: dict[str, Any] | None) -> str | None:
    value = (data or {}).get("winner")
    if not isinstance(value, str):
        return None
    value = value.strip().lower().replace(" ", "_")
    return value if value in ANSWERS else None


def _winner(answer: str, left_is_a: bool) -> str:
    if answer in ("tie", "both_bad"):
        return answer
    return "a" if (answer == "left") == left_is_a else "b"


def auto_judge(
    result: SweepResult,
    client: ModelClient,
    *,
    criteria: list[str] | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> AutoJudgeReport:
    """Judge the sweep's scheduled pairs with a model (see the module docs).

    Args:
        result: the sweep.
        client: the model (see :class:`~phota_widgets.experiments.review.model_client.ModelClient`).
        criteria: what to judge by, said to the model (default: prompt adherence and quality).
        limit: at most this many pairs now (None: all not yet answered).
        seed: the order of the pairs.

    Raises:
        ValueError: a negative limit.
    """
    from phota_widgets.experiments.review.pairs import review_items, schedule_pairs

    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more pairs, got {limit}")
    judge = judge_name(client.model)
    store = result.session.store
    ids = [o.output_id for o in result.outputs()]
    answered = {pair_key(j.output_a, j.output_b) for j in store.judgements(ids, judge=judge)}
    pairs = schedule_pairs(review_items(result), seed=seed)
    report = AutoJudgeReport(judge)
    said = ", ".join(criteria) if criteria else "how well each follows the prompt, and quality"
    todo: list[ReviewPair] = []
    for pair in pairs:
        key = pair_key(pair.a.output_id, pair.b.output_id)
        if key in answered:
            report.already += 1
        elif limit is None or len(todo) < limit:
            todo.append(pair)
            answered.add(key)
    for pair in todo:
        one = client.ask_json(_question(result, pair, True, said), SYSTEM)
        two = client.ask_json(_question(result, pair, False, said), SYSTEM)
        report.tokens_in += one.tokens_in + two.tokens_in
        report.tokens_out += one.tokens_out + two.tokens_out
        cost = None if one.cost is None or two.cost is None else one.cost + two.cost
        if cost is not None:
            report.cost = (report.cost or 0.0) + cost
        answer_ab, answer_ba = _answer(one.data), _answer(two.data)
        if answer_ab is None or answer_ba is None:
            report.malformed += 1
            continue
        first, second = _winner(answer_ab, True), _winner(answer_ba, False)
        consistent = first == second
        recorded = store.add_judgement(
            pair.a.output_id,
            pair.b.output_id,
            first if consistent else "tie",
            judge=judge,
            sweep_id=result.sweep_id,
        )
        store.model_judging.add(
            ModelJudgementRecord(
                judge, pair_key(pair.a.output_id, pair.b.output_id), recorded.judgement_id,
                result.sweep_id, answer_ab, answer_ba, consistent, one.tokens_in + two.tokens_in,
                one.tokens_out + two.tokens_out, cost, recorded.created_at,
            )
        )  # fmt: skip
        report.judged += 1
        report.consistent += consistent
        report.inconsistent += not consistent
    return report


def run_auto_judge(
    result: SweepResult,
    model: str,
    base_url: str | None,
    api_key_env: str,
    criteria: list[str] | None,
    limit: int | None,
    prices: tuple[float, float] | None,
) -> AutoJudgeReport:
    """``res.auto_judge(...)``: make the model's client, judge, close it."""
    from phota_widgets.experiments.review.model_client import ModelClient

    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more pairs, got {limit}")
    client = ModelClient(model, base_url=base_url, api_key_env=api_key_env, prices=prices)
    try:
        return auto_judge(result, client, criteria=criteria, limit=limit)
    finally:
        client.close()
