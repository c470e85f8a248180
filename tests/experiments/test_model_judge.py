"""The model judge against a local OpenAI-compatible fake: swap rule, cache, resume, tokens."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.openai_judge_fake import COMPLETION_TOKENS, PROMPT_TOKENS, JudgeFake
from PIL import Image, ImageStat
from small_sweeps import three_ratios

import phota_widgets as pw
from phota_widgets.experiments import SweepResult
from phota_widgets.experiments.review.model_client import parse_json_object

JUDGE_KEY = "sk-judge-PLANTED-9876543210"
ENV = "PHOTA_TEST_JUDGE_KEY"
MODEL = "fake-vision"


@pytest.fixture
def result(session: pw.Session) -> SweepResult:
    return three_ratios(session, ["a red house at dusk"])


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv(ENV, JUDGE_KEY)
    yield JUDGE_KEY


def _brightness(result: SweepResult, output_id: str) -> float:
    record = result.output(output_id).record
    picture = Image.open(io.BytesIO(result.session.store.thumbnail(record, 512)))
    return float(ImageStat.Stat(picture.convert("L")).mean[0])


def test_a_consistent_judge_is_recorded_cached_and_resumed(result: SweepResult, key: str) -> None:
    with JudgeFake(key, "brighter") as fake:
        ask = {"base_url": fake.base_url, "api_key_env": ENV, "prices": (1.0, 2.0)}
        first = result.auto_judge(MODEL, limit=2, **ask)
        assert (first.judged, first.consistent, first.inconsistent) == (2, 2, 0)
        assert fake.requests == 4  # each pair asked twice, the sides swapped
        assert (first.tokens_in, first.tokens_out) == (4 * PROMPT_TOKENS, 4 * COMPLETION_TOKENS)
        assert first.cost == pytest.approx((400 * 1.0 + 40 * 2.0) / 1e6)
        assert "Judge by: how well" in fake.seen_texts[0] and "a red house" in fake.seen_texts[0]
        second = result.auto_judge(MODEL, **ask)
        assert (second.judged, second.already, fake.requests) == (1, 2, 6)
        third = result.auto_judge(MODEL, **ask)
        assert (third.judged, third.already, fake.requests) == (0, 3, 6)  # never re-asks
    store = result.session.store
    ids = [o.output_id for o in result.outputs()]
    found = store.judgements(ids, judge=f"model:{MODEL}")
    assert len(found) == 3
    for j in found:
        brighter_a = _brightness(result, j.output_a) >= _brightness(result, j.output_b)
        assert j.winner == ("a" if brighter_a else "b")
    details = store.model_judging.of_judge(f"model:{MODEL}")
    assert len(details) == 3 and all(d.consistent for d in details.values())
    assert sum(d.tokens_in for d in details.values()) == 6 * PROMPT_TOKENS
    for j in found:  # a person who agrees on every pair
        result.judge(j.output_a, j.output_b, j.winner, judge="ana")
    agreement = result.agreement("ana", f"model:{MODEL}")
    assert (agreement.pairs, agreement.agreeing) == (3, 3)
    board = result.leaderboard(judge=f"model:{MODEL}")
    assert board["judgements"].sum() == 6


def test_a_judge_that_always_says_left_gives_ties_marked_inconsistent(
    result: SweepResult, key: str
) -> None:
    with JudgeFake(key, "left") as fake:
        report = result.auto_judge(MODEL, base_url=fake.base_url, api_key_env=ENV)
    assert (report.judged, report.inconsistent) == (3, 3)
    assert report.inconsistent_share == 1.0 and "do not trust it" in str(report)
    ids = [o.output_id for o in result.outputs()]
    assert {j.winner for j in result.session.store.judgements(ids)} == {"tie"}
    details = result.session.store.model_judging.of_judge(f"model:{MODEL}").values()
    assert {(d.answer_ab, d.answer_ba, d.consistent) for d in details} == {("left", "left", False)}
    assert report.cost is None  # no prices given


def test_malformed_answers_are_counted_not_recorded_and_fenced_ones_parse(
    result: SweepResult, key: str
) -> None:
    with JudgeFake(key, "malformed") as fake:
        bad = result.auto_judge(MODEL, base_url=fake.base_url, api_key_env=ENV)
        assert (bad.judged, bad.malformed, fake.requests) == (0, 3, 6)
        fake.mode = "fenced"
        good = result.auto_judge(MODEL, base_url=fake.base_url, api_key_env=ENV)
        assert (good.judged, good.malformed, good.consistent) == (3, 0, 3)
    assert parse_json_object('x {"a": {"b": 1}} y {"c": 2}') == {"a": {"b": 1}}
    assert parse_json_object("no json here") is None


def test_the_key_is_read_from_the_environment_and_never_kept(
    result: SweepResult, key: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with JudgeFake(key, "brighter") as fake:
        with pytest.raises(ValueError, match="set the environment variable NO_SUCH_KEY_ENV"):
            result.auto_judge(MODEL, base_url=fake.base_url, api_key_env="NO_SUCH_KEY_ENV")
        with pytest.raises(ValueError, match="limit must be 0 or more"):
            result.auto_judge(MODEL, base_url=fake.base_url, api_key_env=ENV, limit=-1)
        assert fake.requests == 0  # refused before any request
        report = result.auto_judge(MODEL, base_url=fake.base_url, api_key_env=ENV)
        monkeypatch.setenv(ENV, "sk-wrong-key-000")
        with pytest.raises(PermissionError, match=f"refused the key in \\${ENV}") as refused:
            result.auto_judge("other-model", base_url=fake.base_url, api_key_env=ENV, limit=1)
    assert JUDGE_KEY not in str(refused.value) and "sk-wrong-key-000" not in str(refused.value)
    assert JUDGE_KEY not in repr(report) + str(report)
    page = result.export_html(tmp_path / "report.html").read_text()
    assert JUDGE_KEY not in page
    root = Path(result.session.store.root)
    for file in root.rglob("*"):
        if file.is_file():
            assert JUDGE_KEY.encode() not in file.read_bytes(), file
