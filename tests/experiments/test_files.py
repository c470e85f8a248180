"""Experiments as YAML files and the ``phota-widgets sweep`` command: the same cells as Python."""

from __future__ import annotations

import csv
import shutil
import textwrap
from pathlib import Path

import pytest
from sweep_helpers import KEY, submits

import phota_widgets as pw
from phota_widgets.cli import main
from phota_widgets.experiments import SweepResult, load_experiment
from phota_widgets.experiments.sweeps.files import ExperimentFileError
from phota_widgets.local import LocalServer

EXAMPLES = Path(__file__).parents[2] / "examples"

YAML = """\
name: doors
endpoint: generate
prompts:
  - "a {colour} door in {city}"
  - "a {colour} door at night"
vars:
  colour: [red, blue]
  city: [Lisbon]
grid:
  aspect_ratio: [1:1, 16:9]
  base_model: [nb2, reve]
  resolution: [1K, 2K]
repeats: 1
max_cost: 3.0
"""

PYTHON = {
    "prompts": ["a {colour} door in {city}", "a {colour} door at night"],
    "vars": {"colour": ["red", "blue"], "city": ["Lisbon"]},
    "aspect_ratio": ["1:1", "16:9"],
    "base_model": ["nb2", "reve"],
    "resolution": ["1K", "2K"],
    "name": "doors",
}


def write(tmp_path: Path, text: str, name: str = "experiment.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_file_plans_the_same_cells_as_the_python_call(
    session: pw.Session, tmp_path: Path
) -> None:
    from_file = pw.sweep_from_file(session, write(tmp_path, YAML), dry_run=True)
    from_python = session.sweep("generate", dry_run=True, **PYTHON)  # type: ignore[arg-type]
    assert isinstance(from_file, pw.SweepPlan)
    assert [c.key for c in from_file.cells] == [c.key for c in from_python.cells]
    assert (
        from_file.sweep_id == from_python.sweep_id and from_file.calls == 4 * 2 * 3
    )  # 4 prompt fills; reve: 1K only
    assert from_file.axes["aspect_ratio"] == ["1:1", "16:9"]  # not base-60 numbers


def test_the_command_runs_resumes_and_writes_report_and_csv(
    server: LocalServer,
    session: pw.Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PHOTA_API_KEY", KEY)
    monkeypatch.setenv("PHOTA_BASE_URL", server.base_url)
    small = YAML.replace("  resolution: [1K, 2K]\n", "").replace("[nb2, reve]", "nb2")
    path = write(tmp_path, small)
    out = tmp_path / "out"
    before = submits(server)
    assert main(["sweep", str(path), "--out", str(out), "--dry-run"]) == 0
    assert "cells (calls)" in capsys.readouterr().out and submits(server) == before
    assert main(["sweep", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "report:" in printed and (out / "report.html").is_file()
    sent = submits(server) - before
    assert sent == 4 * 2  # 4 prompt fills x 2 aspect ratios
    python_plan = session.sweep(
        "generate",
        dry_run=True,
        prompts=PYTHON["prompts"],
        vars=PYTHON["vars"],
        aspect_ratio=["1:1", "16:9"],
        base_model="nb2",
        name="doors",
    )
    with pw.Session(api_key=KEY, base_url=server.base_url, output_dir=out / "runs") as s:
        (info,) = s.sweeps()
        result = SweepResult.load(s, info.sweep_id)
        assert [c.info.key for c in result.cells] == [c.key for c in python_plan.cells]
        assert result.counts() == {"succeeded": 8}
    lines = (out / "outputs.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("output_id,cell,prompt,template,aspect_ratio,colour,city,")
    assert lines[0].endswith(",stars,note,changed_fraction,server")  # + which server made it
    assert len(lines) == 1 + 8
    paths = [row["path"] for row in csv.DictReader(lines)]  # the images beside the table
    assert all(p.startswith("images/") and (out / p).is_file() for p in paths), paths
    # run again: resumes, pays nothing
    assert main(["sweep", str(path), "--out", str(out)]) == 0
    assert submits(server) - before == 8
    # a budget below the plan refuses before anything is sent
    assert main(["sweep", str(path), "--out", str(tmp_path / "other"), "--max-cost", "0.1"]) == 3
    assert "max_cost=$0.10" in capsys.readouterr().err and submits(server) - before == 8


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("endpoint: generate\nprompts: [a]\ncolour: red\n", 3, "colour", "unknown field 'colour'"),
        (
            "endpoint: generate\nprompts: [a]\ngrid:\n  aspect_ratio: [1:1, 7:3]\n",
            4,
            "grid.aspect_ratio.1",
            "aspect_ratio=7:3",
        ),
        ("endpoint: generate\nprompts:\n  - fine\n  - ''\n", 4, "prompts.1", "prompt 2 is empty"),
        ("endpoint: generate\nprompts: [a\n", 3, "", "not valid YAML"),
        ("endpoint: paint\nprompts: [a]\n", 1, "endpoint", "unknown endpoint"),
        (
            "endpoint: generate\nprompts: ['a {x}']\nvars:\n  x: [1]\n  y: [2]\n",
            5,
            "vars.y",
            "'y' is used by no prompt",
        ),
        ("endpoint: generate\nprompts: [a]\nrepeats: many\n", 3, "repeats", "a whole number"),
    ],
)
def test_bad_files_name_the_line_and_field(
    session: pw.Session, tmp_path: Path, text: str, line: int, field: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ExperimentFileError) as info:
        pw.sweep_from_file(session, path, dry_run=True)
    text_of_error = str(info.value)
    assert f"{path}, line {line}" in text_of_error and message in text_of_error
    if field:
        assert f"field {field}:" in text_of_error
    assert len(session.store) == 0


def test_bad_file_on_the_command_line_exits_2_with_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "endpoint: generate\nprompts: [a]\ngrid: {base_model: [nb9]}\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "base_model=nb9" in err


def test_prompts_from_a_csv_column_and_the_shipped_examples(
    session: pw.Session, tmp_path: Path
) -> None:
    shutil.copy(EXAMPLES / "prompts.csv", tmp_path / "prompts.csv")
    path = write(tmp_path, "endpoint: generate\nprompts: {csv: prompts.csv, column: prompt}\n")
    plan = pw.sweep_from_file(session, path, dry_run=True)
    assert isinstance(plan, pw.SweepPlan)
    assert plan.cells[0].info.prompt == "a lighthouse on a cliff, storm clouds"
    assert plan.calls == 3
    wrong = write(
        tmp_path, "endpoint: generate\nprompts: {csv: prompts.csv, column: text}\n", "w.yaml"
    )
    with pytest.raises(ExperimentFileError, match=r"line 2.*no column 'text'"):
        pw.sweep_from_file(session, wrong, dry_run=True)
    for example in ("experiment.yaml", "experiment_csv.yaml"):
        experiment = load_experiment(EXAMPLES / example)
        planned = pw.sweep_from_file(session, EXAMPLES / example, dry_run=True)
        assert isinstance(planned, pw.SweepPlan) and planned.calls > 0
        assert experiment.max_cost is not None and planned.cost <= experiment.max_cost
