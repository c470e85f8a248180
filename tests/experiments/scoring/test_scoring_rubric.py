"""vlm_rubric against a local OpenAI-compatible fake: requests, retries, caching, bad answers."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import pytest
from fakes.openai_fake import OpenAIFake
from PIL import Image

import phota_widgets as pw
from phota_widgets.experiments.scoring import CheckSpecError, resolve_checks

KEY_ENV = "PHOTA_TEST_VLM_KEY"
VLM_KEY = "sk-vlm-planted-0987654321"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIFake]:
    monkeypatch.setenv(KEY_ENV, VLM_KEY)
    with OpenAIFake(api_key=VLM_KEY) as server:
        yield server


def _rubric(fake: OpenAIFake, **extra: object) -> dict[str, object]:
    params: dict[str, object] = {
        "rubric": "shows a {animal} at dusk; no extra limbs",
        "model": "gpt-4o-mini",
        "base_url": fake.base_url,
        "api_key_env": KEY_ENV,
        "threshold": 0.7,
        "max_retries": 2,
    }
    params.update(extra)
    return {"vlm_rubric": params}


def _sweep(session: pw.Session, checks: list[object]) -> pw.SweepResult:
    return session.sweep(
        "generate", ["a {animal} at dusk"], vars={"animal": ["owl", "fox"]}, progress=False,
        checks=checks,
    )  # fmt: skip


def test_the_rubric_is_filled_per_cell_and_sent_with_a_small_image(
    session: pw.Session, fake: OpenAIFake
) -> None:
    fake.answer_for = lambda body: (
        '{"score": 0.9, "reason": "an owl, dusk light"}'
        if "owl" in str(body["messages"][1]["content"][0]["text"])
        else 'Here: {"score": 0.2, "reason": "it is noon"}'
    )
    res = _sweep(session, [_rubric(fake, max_px=256)])
    assert fake.count == 2
    texts = sorted(str(r["messages"][1]["content"][0]["text"]) for r in fake.requests)
    assert "Rubric: shows a fox at dusk; no extra limbs" in texts[0]
    assert "Rubric: shows a owl at dusk; no extra limbs" in texts[1]
    assert all(r["temperature"] == 0 and r["model"] == "gpt-4o-mini" for r in fake.requests)
    url = fake.requests[0]["messages"][1]["content"][1]["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as sent:
        assert max(sent.size) <= 256
    frame = res.to_dataframe().set_index("animal")
    assert frame.loc["owl", "score.vlm_rubric"] == 0.9 and frame.loc["owl", "passed"]
    assert frame.loc["fox", "check.vlm_rubric"] == False  # noqa: E712 - a numpy bool
    [failure] = res.failures()
    assert failure.check == "vlm_rubric" and failure.detail == "it is noon"
    [owl] = [
        r for r in session.store.scores.for_outputs(frame["output_id"].tolist())
        if r.value == 0.9
    ]  # fmt: skip
    assert owl.tokens == 120 and owl.cost == pytest.approx((100 * 0.15 + 20 * 0.6) / 1e6)


def test_a_second_run_or_a_reopen_sends_no_request(session: pw.Session, fake: OpenAIFake) -> None:
    res = _sweep(session, [_rubric(fake)])
    assert fake.count == 2
    _sweep(session, [_rubric(fake)])
    pw.SweepResult.load(session, res.sweep_id).score([_rubric(fake)])
    assert fake.count == 2
    pw.SweepResult.load(session, res.sweep_id).score([_rubric(fake, threshold=0.8)])
    assert fake.count == 4  # new parameters: asked anew


def test_429_and_5xx_are_retried(session: pw.Session, fake: OpenAIFake) -> None:
    fake.script.extend([429, 503])
    res = _sweep(session, [_rubric(fake)])
    assert fake.count == 4
    assert res.to_dataframe()["check.vlm_rubric"].tolist() == [True, True]


def test_malformed_answers_fail_and_are_asked_again_later(
    session: pw.Session, fake: OpenAIFake
) -> None:
    fake.script.extend(["I cannot grade images, sorry.", '{"score": "very high"}'])
    res = _sweep(session, [_rubric(fake)])
    assert fake.count == 2  # not asked twice within one sweep
    assert res.to_dataframe()["check.vlm_rubric"].tolist() == [False, False]
    assert {f.detail for f in res.failures()} == {
        "unreadable model answer: 'I cannot grade images, sorry.'",
        """unreadable model answer: '{"score": "very high"}'""",
    }
    res.score([_rubric(fake)])  # errors are computed anew; good answers now
    assert fake.count == 4
    assert res.to_dataframe()["check.vlm_rubric"].tolist() == [True, True]
    res.score([_rubric(fake)])
    assert fake.count == 4


def test_an_endpoint_that_keeps_failing_gives_failed_checks_in_words(
    session: pw.Session, fake: OpenAIFake
) -> None:
    fake.script.extend([500] * 6)  # two outputs, each tried 3 times (max_retries=2)
    res = _sweep(session, [_rubric(fake, max_retries=2)])
    assert fake.count == 6
    assert res.to_dataframe()["check.vlm_rubric"].tolist() == [False, False]
    assert all("model call failed: 500" in f.detail for f in res.failures())


def test_a_missing_key_is_refused_before_anything_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(CheckSpecError, match="OPENAI_API_KEY"):
        resolve_checks([{"vlm_rubric": {"rubric": "a cat", "model": "gpt-4o-mini"}}])
    with pytest.raises(CheckSpecError, match="missing parameter 'model'"):
        resolve_checks([{"vlm_rubric": {"rubric": "a cat", "base_url": "http://127.0.0.1:9/v1"}}])


def test_model_graded_scoring_runs_at_the_sweeps_concurrency(
    session: pw.Session, fake: OpenAIFake
) -> None:
    fake.delay = 0.5
    res = session.sweep(
        "generate", [f"a {{animal}} number {i}" for i in range(8)], vars={"animal": ["owl"]},
        progress=False, checks=[_rubric(fake)],
    )  # fmt: skip
    assert fake.count == 8 and res.to_dataframe()["check.vlm_rubric"].all()
    assert fake.max_in_flight >= 2  # several outputs graded at once, not one after another
