"""A model judge's details beside its judgements: both answers, consistency, tokens, cost."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from phota_widgets.store.schema import OVERALL, model_judgements
from phota_widgets.store.table_part import TablePart


def pair_key(output_a: str, output_b: str) -> str:
    """The two output ids, sorted and joined by a space (the same whichever side each was on)."""
    return " ".join(sorted((output_a, output_b)))


@dataclass(frozen=True)
class ModelJudgementRecord:
    """What a model answered about a pair, asked twice with the sides swapped.

    Attributes:
        judge: ``"model:<name>"``.
        pair: :func:`pair_key` of the two outputs.
        judgement_id: the judgement recorded from the answers (None: an answer was
            malformed, nothing recorded; the row keeps what the asking cost).
        sweep_id: the sweep it was asked for.
        answer_ab, answer_ba: its answer with output_a on the left, then with output_b on the
            left (``left``, ``right``, ``tie`` or ``both_bad``; ``malformed`` when unusable).
        consistent: both answers named the same output (or both a tie, or both "both bad").
        tokens_in, tokens_out: tokens of both requests (this criterion's share of them, with
            criteria), summed over every time the pair was asked.
        cost: US dollars of the same (None without prices).
        created_at: when (epoch seconds).
        criterion: what the pair was judged by (None: overall).
    """

    judge: str
    pair: str
    judgement_id: int | None
    sweep_id: str | None
    answer_ab: str
    answer_ba: str
    consistent: bool
    tokens_in: int
    tokens_out: int
    cost: float | None
    created_at: float
    criterion: str | None = None


class ModelJudging(TablePart):
    """Model judgements' details in the run store's index (one row per judge, pair and
    criterion)."""

    def add(self, record: ModelJudgementRecord) -> None:
        """Record (and commit) one pair's details. A pair asked again (by the same criterion)
        replaces its answers and adds this asking's tokens and cost to the row's, so the rows
        always sum to what was paid (an answer that was malformed still cost its share)."""
        values = {
            "judge": record.judge,
            "pair": record.pair,
            "judgement_id": record.judgement_id,
            "sweep_id": record.sweep_id,
            "answer_ab": record.answer_ab,
            "answer_ba": record.answer_ba,
            "consistent": int(record.consistent),
            "tokens_in": record.tokens_in,
            "tokens_out": record.tokens_out,
            "cost": record.cost,
            "created_at": record.created_at or time.time(),
            "criterion": OVERALL if record.criterion is None else record.criterion,
        }
        with self._writer.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            new = dialect.insert(model_judgements).values(**values)
            key = ("judge", "pair", "criterion")
            changed: dict[str, Any] = {k: v for k, v in values.items() if k not in key}
            old, added = model_judgements.c, new.excluded
            changed["tokens_in"] = old.tokens_in + added.tokens_in
            changed["tokens_out"] = old.tokens_out + added.tokens_out
            changed["cost"] = func.coalesce(old.cost + added.cost, old.cost, added.cost)
            conn.execute(
                new.on_conflict_do_update(
                    index_elements=[model_judgements.c[k] for k in key],
                    set_=changed,
                )
            )

    def of_judge(self, judge: str, criterion: str | None = None) -> dict[str, ModelJudgementRecord]:
        """This judge's details by ``criterion`` (None: the overall ones), by pair."""
        stmt = select(*model_judgements.c).where(
            model_judgements.c.judge == judge,
            model_judgements.c.criterion == (OVERALL if criterion is None else criterion),
        )
        with self._reader.connect() as conn:
            rows = [tuple(r) for r in conn.execute(stmt)]
        found = {}
        for row in rows:
            record = ModelJudgementRecord(
                judge=row[0],
                pair=row[1],
                judgement_id=row[2],
                sweep_id=row[3],
                answer_ab=row[4],
                answer_ba=row[5],
                consistent=bool(row[6]),
                tokens_in=int(row[7]),
                tokens_out=int(row[8]),
                cost=row[9],
                created_at=float(row[10]),
                criterion=row[11] or None,
            )
            found[record.pair] = record
        return found
