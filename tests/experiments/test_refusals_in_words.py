"""A sweep refused in the user's words: no validator phrasing, no odd labels, before any spend."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep_helpers import submits

import phota_widgets as pw
from phota_widgets.experiments import load_experiment
from phota_widgets.experiments.sweeps.axes import SweepSpecError
from phota_widgets.experiments.sweeps.files import ExperimentFileError
from phota_widgets.local import LocalServer

VALIDATOR_WORDS = ("Input should be", "Extra inputs", "unable to parse", "settings=fixed")


@pytest.mark.parametrize(
    ("grid", "named", "said"),
    [
        ({"aspect_ratio": ["1:1", "5:4"]}, "aspect_ratio=5:4", "1:1, 3:4, 4:3, 9:16 or 16:9"),
        ({"base_model": "nb3"}, "base_model=nb3", "nb2"),
        ({"num_output_images": [0, 1]}, "num_output_images=0", "at least 1"),
        ({"quality": "high"}, "quality", "gpt-image-2"),
    ],
)
def test_a_bad_setting_is_named_in_a_sentence(
    session: pw.Session, server: LocalServer, grid: dict[str, object], named: str, said: str
) -> None:
    before = submits(server)
    with pytest.raises(SweepSpecError) as caught:
        session.sweep("generate", prompts=["a cat"], max_cost=100, **grid)
    text = str(caught.value)
    assert named in text and said in text, text
    assert not any(words in text for words in VALIDATOR_WORDS), text
    assert submits(server) == before


def test_a_budget_refusal_counts_calls_in_good_english(session: pw.Session) -> None:
    with pytest.raises(pw.BudgetExceededError) as caught:
        session.sweep("generate", prompts=["a cat"], max_cost=0.01)
    assert "(1 call)" in str(caught.value), str(caught.value)


@pytest.mark.parametrize(
    ("body", "field", "said"),
    [
        ('prompt: ["a cat"]\n', "prompt", "unknown field 'prompt' (did you mean prompts?)"),
        ('prompts: ["a cat"]\nrepeats: two\n', "repeats", "a whole number"),
        ('prompts: ["a cat"]\nmax_cost: lots\n', "max_cost", "a number (US dollars)"),
    ],
)
def test_a_bad_file_field_is_told_in_a_sentence(
    tmp_path: Path, body: str, field: str, said: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("endpoint: generate\n" + body, encoding="utf-8")
    with pytest.raises(ExperimentFileError) as caught:
        load_experiment(path)
    text = str(caught.value)
    assert f"field {field}" in text and said in text, text
    assert not any(words in text for words in VALIDATOR_WORDS), text


def test_running_a_finished_sweep_again_shows_no_empty_progress_bar(
    session: pw.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    session.sweep("generate", prompts=["a cat", "a dog"])
    capsys.readouterr()
    again = session.sweep("generate", prompts=["a cat", "a dog"])
    assert again.images == 2
    err = capsys.readouterr().err
    assert "0call" not in err and "0/0" not in err, err
