"""The model judge by several criteria, against the local OpenAI-compatible fake: one request per
order for every criterion, a winner per criterion, consistency, cache and resume per criterion."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fakes.openai_fake import OpenAIFake
from PIL import Image, ImageStat
from small_sweeps import three_ratios

import phota_widgets as pw
from phota_widgets.experiments import SweepResult

KEY = "sk-criteria-PLANTED-24680"
ENV = "PHOTA_TEST_CRITERIA_KEY"
MODEL = "fake-vision"
JUDGE = f"model:{MODEL}"


@pytest.fixture
def result(session: pw.Session) -> SweepResult:
    return three_ratios(session, ["a red house at dusk"])


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv(ENV, KEY)
    yield KEY


def _brightness(url: str) -> float:
    data = base64.b64decode(url.split(",", 1)[1])
    return float(ImageStat.Stat(Image.open(io.BytesIO(data)).convert("L")).mean[0])


def _parts(body: dict[str, Any]) -> tuple[str, list[str]]:
    parts = body["messages"][-1]["content"]
    text = "".join(p["text"] for p in parts if p.get("type") == "text")
    return text, [p["image_url"]["url"] for p in parts if p.get("type") == "image_url"]


def scripted(**rules: str) -> Callable[[dict[str, Any]], str]:
    """Answers per criterion: ``"brighter"`` names the brighter side (a consistent judge),
    ``"left"`` always the left one, ``"missing"`` leaves the criterion out."""

    def answer(body: dict[str, Any]) -> str:
        text, images = _parts(body)
        marker = "Give a winner for each criterion: "
        asked = json.loads(text.rsplit(marker, 1)[1]) if marker in text else []
        brighter = "left" if _brightness(images[0]) >= _brightness(images[1]) else "right"
        winners = {}
        for name in asked:
            rule = rules[name]
            if rule != "missing":
                winners[name] = brighter if rule == "brighter" else "left"
        return json.dumps({"winners": winners, "reason": "scripted"})

    return answer


def _winners(result: SweepResult, criterion: str) -> list[str]:
    ids = [o.output_id for o in result.outputs()]
    found = result.session.store.judgements(ids, judge=JUDGE, criterion=criterion)
    return [j.winner for j in found]


def test_one_request_per_order_gives_a_winner_per_criterion(result: SweepResult, key: str) -> None:
    rules = scripted(realism="brighter", likeness="left")
    with OpenAIFake(api_key=key, answer_for=rules) as fake:
        ask = {"base_url": fake.base_url, "api_key_env": ENV, "prices": (1.0, 2.0)}
        report = result.auto_judge(MODEL, criteria=["realism", "likeness"], **ask)
        assert fake.count == 6  # 3 pairs, each asked twice (sides swapped), both criteria at once
        text, _ = _parts(fake.requests[0])
        assert "Judge by: realism; likeness" in text
        again = result.auto_judge(MODEL, criteria=["realism", "likeness"], **ask)
        assert (again.judged, again.already, fake.count) == (0, 3, 6)  # cached: never re-asked
    assert (report.judged, report.consistent, report.inconsistent) == (6, 3, 3)
    assert report.per_criterion == {
        "realism": {"judged": 3, "consistent": 3, "inconsistent": 0, "malformed": 0},
        "likeness": {"judged": 3, "consistent": 0, "inconsistent": 3, "malformed": 0},
    }
    said = str(report)
    assert "fake-vision: 6 pair-criterion judgements judged" in said
    assert "likeness: 3 judged, 3 position-inconsistent, 0 malformed (flips with" in said
    assert "realism: 3 judged, 0 position-inconsistent, 0 malformed\n" in said
    assert "tie" not in _winners(result, "realism")
    assert _winners(result, "likeness") == ["tie"] * 3  # a judge that follows the side: ties
    store = result.session.store
    realism = store.model_judging.of_judge(JUDGE, "realism")
    likeness = store.model_judging.of_judge(JUDGE, "likeness")
    assert all(d.consistent for d in realism.values()) and len(realism) == 3
    assert {(d.answer_ab, d.answer_ba) for d in likeness.values()} == {("left", "left")}
    both = [*realism.values(), *likeness.values()]
    assert sum(d.tokens_in for d in both) == report.tokens_in == 6 * 100  # shared, none lost
    assert sum(d.cost or 0.0 for d in both) == pytest.approx(report.cost or 0.0)
    assert store.model_judging.of_judge(JUDGE) == {}  # no overall judgement was asked
    board = result.leaderboard(judge=JUDGE, criterion="realism")
    brightest = board.iloc[0]
    assert brightest["wins"] == 2 and board["judgements"].sum() == 6
    for j in store.judgements([o.output_id for o in result.outputs()], judge=JUDGE,
                              criterion="realism"):  # fmt: skip
        result.judge(j.output_a, j.output_b, j.winner, judge="ana", criterion="realism")
    agreement = result.agreement("ana", JUDGE, criterion="realism")
    assert (agreement.pairs, agreement.agreeing) == (3, 3)


def test_a_criterion_left_unanswered_is_asked_again_alone(result: SweepResult, key: str) -> None:
    with OpenAIFake(
        api_key=key, answer_for=scripted(realism="brighter", likeness="missing")
    ) as fake:
        ask = {"base_url": fake.base_url, "api_key_env": ENV, "prices": (1.0, 2.0)}
        first = result.auto_judge(MODEL, criteria=["realism", "likeness"], limit=2, **ask)
        assert (first.judged, first.malformed, fake.count) == (2, 2, 4)
        assert first.per_criterion["likeness"]["malformed"] == 2
        fake.answer_for = scripted(realism="brighter", likeness="brighter")
        second = result.auto_judge(MODEL, criteria=["realism", "likeness"], **ask)
        assert fake.count == 10  # two pairs for likeness alone, the third for both, both ways
        asked = sorted(
            tuple(json.loads(_parts(b)[0].rsplit(": ", 1)[1])) for b in fake.requests[4:]
        )
        assert asked == [("likeness",)] * 4 + [("realism", "likeness")] * 2
        assert (second.judged, second.malformed, second.already) == (4, 0, 0)
        third = result.auto_judge(MODEL, criteria=["realism", "likeness"], **ask)
        assert (third.judged, third.already, fake.count) == (0, 3, 10)
        overall = result.auto_judge(MODEL, **ask)  # the overall question is its own
        assert overall.judged == 0 and overall.malformed == 3  # (answers under "winners")
        again = result.auto_judge(MODEL, criteria=["Likeness", " REALISM"], **ask)
        assert (again.judged, again.already, fake.count) == (0, 3, 16)  # any case: answered
    assert len(_winners(result, "realism")) == len(_winners(result, "likeness")) == 3
    paid = [first, second, third, overall, again]
    store = result.session.store
    kept = [
        d
        for c in ("realism", "likeness", None)
        for d in store.model_judging.of_judge(JUDGE, c).values()
    ]
    assert sum(d.tokens_in for d in kept) == sum(r.tokens_in for r in paid) == 16 * 100
    assert sum(d.tokens_out for d in kept) == sum(r.tokens_out for r in paid)
    assert sum(d.cost or 0.0 for d in kept) == pytest.approx(sum(r.cost or 0.0 for r in paid))
    unanswered = store.model_judging.of_judge(JUDGE).values()  # malformed: no judgement
    assert {(d.judgement_id, d.answer_ab) for d in unanswered} == {(None, "malformed")}


def test_bad_criteria_are_refused_before_any_request(result: SweepResult, key: str) -> None:
    with OpenAIFake(api_key=key, answer_for=scripted(realism="left")) as fake:
        for criteria in (["realism", "Realism"], [], ["  "]):
            with pytest.raises(ValueError):
                result.auto_judge(MODEL, criteria=criteria, base_url=fake.base_url, api_key_env=ENV)
        assert fake.count == 0


def test_people_are_assigned_the_model_judges_pairs(result: SweepResult, key: str) -> None:
    with OpenAIFake(api_key=key, answer_for=scripted(realism="brighter")) as fake:
        ask = {"base_url": fake.base_url, "api_key_env": ENV}
        assert result.auto_judge(MODEL, criteria=["realism"], limit=2, **ask).judged == 2
    frame = result.assign(["ana", "bo"], overlap=0, criteria=["realism"])
    assert frame.attrs["pairs"] == 3  # the model's two pairs too: agreement becomes measurable
    panel = result.review(judge="ana", criteria=["realism"])
    assert len(panel.pairs) == int(frame.set_index("judge").loc["ana", "pairs"]) == 2
