"""One judge, two review panels (or many threads): a pair is never judged twice; a judge with no
name is told that the OS login is everyone's on a shared image."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import phota_widgets as pw
from phota_widgets.experiments import SweepResult
from phota_widgets.experiments.review import judgements
from phota_widgets.local import LocalServer
from phota_widgets.store.judging import AlreadyJudgedError
from phota_widgets.widgets.review import ReviewPanel

KEY = "sk-planted-SECRET-1234567890"


@pytest.fixture
def result(server: LocalServer, tmp_path: Path) -> Iterator[SweepResult]:
    with pw.Session(api_key=KEY, base_url=server.base_url, output_dir=tmp_path / "runs") as s:
        yield s.sweep(
            "generate", prompts=["a red house"], aspect_ratio=["1:1", "16:9", "4:3"],
            progress=False,
        )  # fmt: skip


def _stored(result: SweepResult) -> list[frozenset[str]]:
    found = result.session.store.judgements(o.output_id for o in result.outputs())
    return [frozenset((j.output_a, j.output_b)) for j in found]


def test_two_panels_of_one_judge_never_judge_the_same_pair_twice(result: SweepResult) -> None:
    first = ReviewPanel(result, judge="ana", seed=5)
    second = ReviewPanel(result, judge="ana", seed=5)  # opened before anything was judged
    try:
        assert len(first.pairs) == len(second.pairs) == 3
        shown = first.pair
        assert shown is not None and second.pair == shown
        first.act("left").result(timeout=60)
        second.act("right").result(timeout=60)  # the same pair, judged meanwhile in `first`
        assert _stored(result) == [frozenset((shown.a.output_id, shown.b.output_id))]
        assert second.already_judged == 1 and second.judged == 0
        assert "already judged" in second.notice.value and second.pair != shown
        second.act("tie").result(timeout=60)  # the next pair is recorded as usual
        assert len(_stored(result)) == 2 and len(set(_stored(result))) == 2
        first.act("next").result(timeout=60)
        first.act("left").result(timeout=60)  # `second` judged this one: refused here
        assert len(_stored(result)) == 2 and first.already_judged == 1
    finally:
        first.close()
        second.close()
    # another judge still judges the same pair
    judgements.judge(result, shown.a.output_id, shown.b.output_id, "a", "bo", once=True)
    assert len(_stored(result)) == 3


def test_racing_writers_record_a_pair_once(result: SweepResult) -> None:
    a, b, *_ = (o.output_id for o in result.outputs())
    recorded: list[int] = []
    refused: list[str] = []
    start = threading.Barrier(8)

    def judge(winner: str) -> None:
        start.wait(timeout=60)
        try:
            recorded.append(judgements.judge(result, a, b, winner, "ana", once=True).judgement_id)
        except AlreadyJudgedError as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=judge, args=("ab"[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(recorded) == 1 and len(refused) == 7
    assert "'ana' has already judged" in refused[0]
    assert _stored(result) == [frozenset((a, b))]
    # from code without once=, a deliberate second judgement is still allowed
    judgements.judge(result, a, b, "tie", "ana")
    assert len(_stored(result)) == 2


def test_a_judge_without_a_name_is_warned_the_login_is_shared(
    result: SweepResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHOTA_JUDGE", raising=False)
    with pytest.warns(UserWarning, match="OS login"):
        panel = ReviewPanel(result, seed=1)
    assert "OS login" in panel.judge_note.value and "PHOTA_JUDGE" in panel.judge_note.value
    panel.close()
    named = ReviewPanel(result, judge="ana", seed=1)
    assert named.judge_warning is None and named.judge_note.value == ""
    named.close()
    monkeypatch.setenv("PHOTA_JUDGE", "ben")
    from_env = ReviewPanel(result, seed=1)
    assert from_env.judge == "ben" and from_env.judge_warning is None
    from_env.close()
