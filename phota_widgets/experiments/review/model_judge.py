"""A model judge: an OpenAI-compatible vision model judges a sweep's scheduled pairs.

Each pair is asked twice, the sides swapped: both images (thumbnails of at most
``IMAGE_PX``) and the filled prompt, answering ``{"winner": "left" | "right" | "tie" |
"both_bad"}``. Two answers naming the same output give it the win (two ties a tie, two "both
bad" both bad); answers that differ give a tie marked position-inconsistent. A judge that
flips with the sides is not to be trusted: the share of inconsistent pairs is reported.

Judgements go into the run store as judge ``model:<name>`` (so ``res.agreement("ana",
"model:<name>")`` and ``res.leaderboard(judge=...)`` use them), with both answers, tokens and
cost beside them. A pair this judge has answered is never asked again, so a second run resumes;
a pair with a malformed answer is not recorded (counted, and asked again next time), but what
asking it cost is: its details row (answers ``malformed``, no judgement) keeps its tokens and
cost, and asking again adds to them, so the details rows always sum to what was paid.

With ``criteria=[...]`` each request asks for a winner per criterion at once (``{"winners":
{"<criterion>": "left" | ...}}``), still twice per pair with the sides swapped; each criterion
gets its own judgement row (consistency per criterion), its details row (the request's tokens
and cost shared evenly among the criteria asked, answered or not) and its own resume: a
criterion answered malformed or not at all is left unrecorded and asked again next time, alone.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from phota_widgets.api.thumbnails import data_uri
from phota_widgets.experiments.review.criteria import (
    MODEL_JUDGE_PREFIX,
    check_criteria,
    same_criteria,
)
from phota_widgets.store.model_judging import ModelJudgementRecord, pair_key

if TYPE_CHECKING:
    from phota_widgets.experiments.review.model_client import ModelClient
    from phota_widgets.experiments.review.pairs import ReviewPair
    from phota_widgets.experiments.sweeps.result import SweepResult

__all__ = ["AutoJudgeReport", "auto_judge", "judge_name", "run_auto_judge"]

IMAGE_PX = 512
ANSWERS = ("left", "right", "tie", "both_bad")
MALFORMED = "malformed"
"""The answer kept in a details row when the model's answer was unusable."""
SYSTEM = (
    "You compare two images made for the same prompt. Answer with one JSON object only: "
    '{"winner": "left" | "right" | "tie" | "both_bad", "reason": "<one sentence>"}.'
)
SYSTEM_CRITERIA = (
    "You compare two images made for the same prompt, by each criterion separately. Answer "
    'with one JSON object only: {"winners": {"<criterion>": "left" | "right" | "tie" | '
    '"both_bad", ...}, "reason": "<one sentence>"}, naming every criterion exactly as given.'
)
OVERALL_CRITERIA = "how well each follows the prompt, and quality"
"""What an overall judgement is asked by."""
Criterion = str | None
"""A criterion judged by (None: overall)."""


def judge_name(model: str) -> str:
    """The judge a model's judgements are recorded under: ``model:<name>``."""
    return f"{MODEL_JUDGE_PREFIX}{model}"


@dataclass
class AutoJudgeReport:
    """What a model judge did in one call.

    With criteria every count is of judgements, one per pair and criterion (without, one per
    pair); ``per_criterion`` splits them by criterion.

    Attributes:
        judge: ``model:<name>``.
        judged: pairs (by each criterion) judged now (each asked twice).
        consistent, inconsistent: of those, the ones whose two answers agreed or differed.
        malformed: left unrecorded because an answer was not the JSON asked for (or did not
            answer a criterion).
        already: pairs this judge had answered before, by every criterion (not asked again).
        tokens_in, tokens_out, cost: of the requests made now (cost None without prices).
        per_criterion: criterion -> ``{"judged", "consistent", "inconsistent", "malformed"}``
            (empty without criteria).
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
    per_criterion: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, criterion: Criterion, what: str) -> None:
        """Count one judgement (``judged``, ``consistent``, ...) overall and by its criterion."""
        setattr(self, what, getattr(self, what) + 1)
        if criterion is not None:
            counts = self.per_criterion.setdefault(criterion, dict.fromkeys(_COUNTED, 0))
            counts[what] += 1

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
        per = "".join(
            f"\n  {name}: {c['judged']} judged, {c['inconsistent']} position-inconsistent, "
            f"{c['malformed']} malformed"
            + (" (flips with the sides here)" if c["inconsistent"] > 0.2 * c["judged"] else "")
            for name, c in self.per_criterion.items()
        )
        unit = "pair-criterion judgements" if self.per_criterion else "pairs"
        return (
            f"{self.judge}: {self.judged} {unit} judged, {self.inconsistent} position-inconsistent "
            f"({self.inconsistent_share:.0%}){warning}; {self.malformed} malformed, "
            f"{self.already} answered before; {self.tokens_in + self.tokens_out:,} tokens{cost}"
            f"{per}"
        )


_COUNTED = ("judged", "consistent", "inconsistent", "malformed")


def _question(
    result: SweepResult, pair: ReviewPair, left_first: bool, criteria: Sequence[str]
) -> Any:
    first, second = result.output(pair.a.output_id), result.output(pair.b.output_id)
    left, right = (first, second) if left_first else (second, first)
    prompt = first.cell.info.prompt or "(no prompt: judge the images themselves)"
    said = "; ".join(criteria) if criteria else OVERALL_CRITERIA
    text = f"Prompt: {prompt}\nJudge by: {said}.\nThe first image is left, the second right."
    if criteria:
        text += "\nGive a winner for each criterion: " + json.dumps(list(criteria))
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


def _answer(data: dict[str, Any] | None, criterion: Criterion = None) -> str | None:
    """The answer (``left``, ``right``, ``tie``, ``both_bad``) overall or for ``criterion``
    (under ``winners``, its name matched regardless of case and spaces), else None."""
    value = (data or {}).get("winner")
    if criterion is not None:
        winners = (data or {}).get("winners")
        wanted = " ".join(criterion.split()).casefold()
        found = [
            v
            for k, v in (winners.items() if isinstance(winners, dict) else ())
            if isinstance(k, str) and " ".join(k.split()).casefold() == wanted
        ]
        value = found[0] if found else None
        if isinstance(value, dict):  # {"winner": "left", "reason": ...} per criterion
            value = value.get("winner")
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
    criteria: Sequence[str] | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> AutoJudgeReport:
    """Judge the sweep's scheduled pairs with a model (see the module docs).

    Args:
        result: the sweep.
        client: the model (see :class:`~phota_widgets.experiments.review.model_client.ModelClient`).
        criteria: one winner per criterion per pair (default: one overall winner, judged by
            prompt adherence and quality).
        limit: at most this many pairs now (None: all not yet answered).
        seed: the order of the pairs.

    Raises:
        ValueError: a negative limit, or criteria empty, repeated or too many.
    """
    from phota_widgets.experiments.review.pairs import review_items, schedule_pairs

    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more pairs, got {limit}")
    asked: list[Criterion] = [*same_criteria(result, criteria)] or [None]
    judge = judge_name(client.model)
    store = result.session.store
    ids = [o.output_id for o in result.outputs()]
    answered = {
        c: {
            pair_key(j.output_a, j.output_b)
            for j in store.judgements(ids, judge=judge, criterion=c)
        }
        for c in asked
    }
    report = AutoJudgeReport(judge)
    todo: list[tuple[ReviewPair, list[Criterion]]] = []
    for pair in schedule_pairs(review_items(result), seed=seed):
        key = pair_key(pair.a.output_id, pair.b.output_id)
        missing = [c for c in asked if key not in answered[c]]
        if not missing:
            report.already += 1
        elif limit is None or len(todo) < limit:
            todo.append((pair, missing))
            for c in missing:
                answered[c].add(key)
    for pair, missing in todo:
        _judge_pair(result, client, report, pair, missing)
    return report


def _judge_pair(
    result: SweepResult,
    client: ModelClient,
    report: AutoJudgeReport,
    pair: ReviewPair,
    missing: list[Criterion],
) -> None:
    """Ask one pair both ways round (by every criterion still missing) and record each
    criterion's judgement and details."""
    named = [c for c in missing if c is not None]
    system = SYSTEM_CRITERIA if named else SYSTEM
    one = client.ask_json(_question(result, pair, True, named), system)
    two = client.ask_json(_question(result, pair, False, named), system)
    tokens_in, tokens_out = one.tokens_in + two.tokens_in, one.tokens_out + two.tokens_out
    report.tokens_in += tokens_in
    report.tokens_out += tokens_out
    cost = None if one.cost is None or two.cost is None else one.cost + two.cost
    if cost is not None:
        report.cost = (report.cost or 0.0) + cost
    store = result.session.store
    judge = judge_name(client.model)
    share = len(missing)
    for k, criterion in enumerate(missing):
        answer_ab, answer_ba = _answer(one.data, criterion), _answer(two.data, criterion)
        judgement_id, consistent, now = None, False, time.time()
        if answer_ab is None or answer_ba is None:
            report.count(criterion, "malformed")  # its share of the spend is kept all the same
        else:
            first, second = _winner(answer_ab, True), _winner(answer_ba, False)
            consistent = first == second
            recorded = store.add_judgement(
                pair.a.output_id, pair.b.output_id, first if consistent else "tie", judge=judge,
                sweep_id=result.sweep_id, criterion=criterion,
            )  # fmt: skip
            judgement_id, now = recorded.judgement_id, recorded.created_at
            report.count(criterion, "judged")
            report.count(criterion, "consistent" if consistent else "inconsistent")
        store.model_judging.add(
            ModelJudgementRecord(
                judge, pair_key(pair.a.output_id, pair.b.output_id), judgement_id,
                result.sweep_id, answer_ab or MALFORMED, answer_ba or MALFORMED, consistent,
                _part(tokens_in, share, k), _part(tokens_out, share, k),
                None if cost is None else cost / share, now, criterion,
            )
        )  # fmt: skip


def _part(total: int, parts: int, k: int) -> int:
    """The ``k``-th of ``parts`` near-equal whole shares of ``total`` (they sum to it)."""
    return total // parts + (1 if k < total % parts else 0)


def run_auto_judge(
    result: SweepResult,
    model: str,
    base_url: str | None,
    api_key_env: str,
    criteria: Sequence[str] | None,
    limit: int | None,
    prices: tuple[float, float] | None,
) -> AutoJudgeReport:
    """``res.auto_judge(...)``: make the model's client, judge, close it."""
    from phota_widgets.experiments.review.model_client import ModelClient

    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more pairs, got {limit}")
    check_criteria(criteria)  # refused before the client is made
    client = ModelClient(model, base_url=base_url, api_key_env=api_key_env, prices=prices)
    try:
        return auto_judge(result, client, criteria=criteria, limit=limit)
    finally:
        client.close()
