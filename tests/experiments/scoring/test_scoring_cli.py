"""``phota-widgets sweep FILE`` as a CI gate: exit 100, --min-pass-rate, JUnit parsed back,
errors in experiment files naming the line and field."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sweep_helpers import KEY, submits

from phota_widgets.cli import main
from phota_widgets.experiments.sweeps.files import ExperimentFileError, load_experiment
from phota_widgets.local import LocalServer

BASE = """name: gate
endpoint: generate
prompts: ["a {animal} at dusk"]
vars: {animal: [owl, fox]}
grid: {aspect_ratio: ["1:1", "16:9"]}
"""


@pytest.fixture
def env(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    monkeypatch.setenv("PHOTA_API_KEY", KEY)
    monkeypatch.setenv("PHOTA_BASE_URL", server.base_url)
    return server


def _file(tmp_path: Path, checks: str, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(BASE + checks, encoding="utf-8")
    return path


def test_passing_checks_exit_0_and_failing_ones_exit_100_with_junit(
    env: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _file(tmp_path, "checks:\n  - aspect_ratio\n  - max_cost: 1.0\n")
    junit = tmp_path / "good.xml"
    assert main(["sweep", str(good), "--out", str(tmp_path / "o"), "--junit", str(junit)]) == 0
    printed = capsys.readouterr().out
    assert "pass rate: 100.0%, 0 failed checks" in printed
    assert "aspect_ratio=16:9 · animal=owl" in printed  # the summary table, per variant
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "8" and suite.get("failures") == "0"
    # the same outputs, a check that fails half of them (4 of 8 cost checks pass)
    bad = _file(tmp_path, "checks:\n  - aspect_ratio\n  - max_cost: 0.01\n", "bad.yaml")
    paid = submits(env)
    junit = tmp_path / "bad.xml"
    assert main(["sweep", str(bad), "--out", str(tmp_path / "o"), "--junit", str(junit)]) == 100
    assert submits(env) == paid  # the cells were done: nothing paid again
    printed = capsys.readouterr().out
    assert "FAILED " in printed and "max_cost" in printed and "pass rate: 0.0%" in printed
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == 8 and suite.get("failures") == "4"
    failed = [c for c in cases if c.find("failure") is not None]
    assert {c.get("name", "").split()[1] for c in failed} == {"max_cost"}
    message = failed[0].find("failure").get("message", "")  # type: ignore[union-attr]
    assert message.startswith("max_cost failed (value 0.09): cost $0.0900 > $0.01")
    assert {c.get("classname") for c in cases} >= {"aspect_ratio=1:1 · animal=owl"}


def test_min_pass_rate_gates_on_the_share_passing(
    env: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a fixed 1:1 ratio: the 1:1 outputs pass, the 16:9 ones fail (a pass rate of 50%)
    path = _file(tmp_path, "checks:\n  - aspect_ratio: {ratio: '1:1'}\n")
    out = str(tmp_path / "o")
    assert main(["sweep", str(path), "--out", out, "--min-pass-rate", "0.5"]) == 0
    assert "pass rate: 50.0%, 2 failed checks" in capsys.readouterr().out
    assert main(["sweep", str(path), "--out", out, "--min-pass-rate", "0.75"]) == 100
    assert "under --min-pass-rate 75.0%" in capsys.readouterr().out
    assert main(["sweep", str(path), "--out", out]) == 100  # any failure, without a rate
    assert main(["sweep", str(path), "--out", out, "--min-pass-rate", "75"]) == 2
    assert "a share from 0 to 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("checks", "line", "field", "words"),
    [
        ("checks:\n  - aspect_ratio\n  - sharpnes\n", 8, "checks.1", "unknown check 'sharpnes'"),
        ("checks:\n  - max_cost: -1\n", 7, "checks.0.max_cost", "the limit must be 0 or more"),
        (
            "checks:\n  - aspect_ratio\n  - changed_fraction: {max: 0.3, maxx: 1}\n",
            8,
            "checks.1.changed_fraction",
            "unknown parameter 'maxx'",
        ),
        ("checks: aspect_ratio\n", 6, "checks", "checks must be a list"),
    ],
)
def test_bad_checks_in_a_file_name_the_line_and_field(
    tmp_path: Path, checks: str, line: int, field: str, words: str
) -> None:
    with pytest.raises(ExperimentFileError) as info:
        load_experiment(_file(tmp_path, checks))
    message = str(info.value)
    assert f"line {line}, field {field}: " in message and words in message, message


def test_the_cli_refuses_a_bad_check_before_sending(
    env: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paid = submits(env)
    path = _file(tmp_path, "checks:\n  - colourfulnes\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "unknown check 'colourfulnes'" in capsys.readouterr().err
    assert submits(env) == paid


def test_the_example_file_with_checks_passes(
    env: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = Path(__file__).resolve().parents[3] / "examples" / "experiment_checks.yaml"
    junit = tmp_path / "results.xml"
    assert main(["sweep", str(example), "--out", str(tmp_path / "o"), "--junit", str(junit)]) == 0
    assert "pass rate: 100.0%, 0 failed checks" in capsys.readouterr().out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == str(4 * 7)
