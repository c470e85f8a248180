"""Sweeps compared: two real sweeps with planted differences, joined cell by cell."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sweep_helpers import KEY

import phota_widgets as pw
from phota_widgets import cli
from phota_widgets.experiments import SweepResult
from phota_widgets.experiments.compare.comparison import compare_frames, drop_interval
from phota_widgets.local import LocalServer

RATIOS = ["1:1", "16:9"]


def _sweep(session: pw.Session, prompts: list[str], name: str, **fixed: object) -> SweepResult:
    return session.sweep(
        "generate",
        prompts=prompts,
        aspect_ratio=RATIOS,
        num_output_images=4,
        repeats=2,
        name=name,
        progress=False,
        **fixed,
    )


def _planted(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The columns the checks would add: B fails ``aspect`` on every 16:9 output and
    ``colour`` on one output; its ``sharp`` score is 0.2 lower."""
    frame = frame.copy()
    wide = frame["aspect_ratio"] == "16:9"
    frame["check.aspect"] = ~wide if name == "v2" else True
    colour = np.ones(len(frame), dtype=bool)
    if name == "v2":
        colour[0] = False
    frame["check.colour"] = colour
    frame["score.sharp"] = 0.9 - (0.2 if name == "v2" else 0.0)
    frame["passed"] = frame["check.aspect"] & frame["check.colour"]
    return frame


def _with_checks() -> Callable[[SweepResult], pd.DataFrame]:
    plain = SweepResult.to_dataframe

    def to_dataframe(self: SweepResult) -> pd.DataFrame:
        return _planted(plain(self), self.name or "")

    return to_dataframe


@pytest.fixture
def two(session: pw.Session, monkeypatch: pytest.MonkeyPatch) -> tuple[SweepResult, SweepResult]:
    a = _sweep(session, ["a red house", "a blue boat"], "v1")
    b = _sweep(session, ["a red house", "a green tree"], "v2", output_format="png")
    monkeypatch.setattr(SweepResult, "to_dataframe", _with_checks())
    return a, b


def test_cells_joined_by_prompt_input_and_variant_and_shown_side_by_side(
    two: tuple[SweepResult, SweepResult], tmp_path: Path
) -> None:
    a, b = two
    house = a.to_dataframe()
    a_square = house[(house.prompt == "a red house") & (house.aspect_ratio == "1:1")]
    b.judge(*b.to_dataframe().query("prompt == 'a red house'").groupby("aspect_ratio")
            ["output_id"].first()[["1:1", "16:9"]], winner="a", judge="ana")  # fmt: skip
    found = pw.compare_sweeps(a, b)
    table = found.deltas.set_index(["prompt", "variant"])
    assert sorted(table.index) == [
        ("a red house", "aspect_ratio=16:9"), ("a red house", "aspect_ratio=1:1"),
    ]  # fmt: skip
    square = table.loc[("a red house", "aspect_ratio=1:1")]
    assert square.outputs_a == square.outputs_b == 8
    assert square.cost_a == pytest.approx(a_square.cost.mean())
    assert square.cost_delta == 0  # same price (cost changes: the 1,000-cell test below)
    assert not math.isnan(square.latency_delta)
    assert square.win_rate_b == 1.0 and math.isnan(square.win_rate_a)  # where judged
    wide = table.loc[("a red house", "aspect_ratio=16:9")]
    assert wide.win_rate_b == 0.0
    assert wide["pass_rate.aspect_delta"] == -1.0 and square["pass_rate.aspect_delta"] == 0.0
    assert wide["mean_score.sharp_delta"] == pytest.approx(-0.2)
    assert sorted(found.only_in_a.prompt) == ["a blue boat", "a blue boat"]
    assert sorted(found.only_in_b.prompt) == ["a green tree", "a green tree"]
    checks = found.checks.set_index("check")
    assert checks.loc["aspect", "drop"] == pytest.approx(0.5)
    assert list(found.worse(0.05)["check"]) == ["aspect", "passed"]  # colour: 1 of 16 only
    assert checks.loc["colour", "drop"] > 0.05 and checks.loc["colour", "drop_low"] < 0
    assert list(a.compare(b).deltas.columns) == list(found.deltas.columns)
    html = found.show(max_px=64)._repr_html_()
    assert html.count('class="phota-sweep-compare"') == 1
    assert html.count("<img ") == 2 * 16  # 8 outputs of A and 8 of B in each joined cell
    assert "Only in A (2 cells)" in html and "a green tree" in html
    page = found.export_html(tmp_path / "compare.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "pass_rate.aspect" in page


def test_different_endpoints_are_refused(session: pw.Session) -> None:
    a = session.sweep("generate", prompts=["a red house"], aspect_ratio=RATIOS, progress=False)
    b = session.sweep("enhance", images=[pw.sample_path("coffee")], progress=False)
    with pytest.raises(ValueError, match="compare sweeps of the same endpoint"):
        a.compare(b)


def test_the_drop_interval() -> None:
    low, high = drop_interval(16, 16, 8, 16)
    assert 0 < low < 0.5 < high
    low, high = drop_interval(50, 100, 50, 100)
    assert low < 0 < high


def test_cli_exits_100_on_a_sure_drop(
    two: tuple[SweepResult, SweepResult],
    server: LocalServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b = two
    monkeypatch.setenv("PHOTA_API_KEY", KEY)
    monkeypatch.setenv("PHOTA_BASE_URL", server.base_url)
    runs = str(a.session.store.root)
    assert cli.main(["compare", "v1", b.sweep_id, "--runs", runs]) == 0
    said = capsys.readouterr().out
    assert "2 cells in both, 2 only in A, 2 only in B" in said
    assert "aspect: pass rate 100% -> 50%" in said
    html = tmp_path / "side.html"
    argv = ["compare", a.sweep_id, "v2", "--runs", runs, "--fail-if-worse", "0.05"]
    assert cli.main([*argv, "--html", str(html)]) == 100
    assert "worse: aspect, passed" in capsys.readouterr().out and html.is_file()
    assert cli.main(["compare", "v2", "v1", "--runs", runs, "--fail-if-worse", "0.05"]) == 0
    assert cli.main(["compare", "v1", "nope", "--runs", runs]) == 2
    assert "no sweep 'nope'" in capsys.readouterr().err


def test_compare_of_two_1000_cell_sweeps_under_a_second() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for cell in range(1000):
        rows.append(
            {"output_id": f"r{cell}:0", "cell": f"c{cell}", "prompt": f"prompt {cell // 10}",
             "input": None, "variant": f"model=m{cell % 10}", "cost": 0.05, "latency": 1.0,
             "check.aspect": bool(rng.random() < 0.9), "score.sharp": rng.random()}
        )  # fmt: skip
    first = pd.DataFrame(rows)
    second = first.assign(cost=0.06, **{"check.aspect": rng.random(1000) < 0.8})
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        joined = compare_frames(first, second)
        best = min(best, time.perf_counter() - start)
    assert len(joined.deltas) == 1000 and joined.deltas["cost_delta"].round(4).eq(0.01).all()
    assert best < 1.0, f"compare of two 1,000-cell sweeps took {best * 1000:.0f} ms"


def test_cli_compares_two_experiment_files(
    server: LocalServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PHOTA_API_KEY", KEY)
    monkeypatch.setenv("PHOTA_BASE_URL", server.base_url)
    for name, prompt in (("v1", "a red house"), ("v2", "a red house, golden hour")):
        Path(f"{name}.yaml").write_text(
            f"name: {name}\nendpoint: generate\nprompts: ['{prompt}']\n"
            "grid:\n  aspect_ratio: ['1:1', '16:9']\n"
        )
    assert cli.main(["compare", "v1.yaml", "v2.yaml"]) == 2  # not run yet: nothing is sent
    assert "has not been run" in capsys.readouterr().err
    for name in ("v1", "v2"):
        assert cli.main(["sweep", f"{name}.yaml"]) == 0
    capsys.readouterr()
    assert cli.main(["compare", "v1.yaml", "v2.yaml", "--fail-if-worse", "0.05"]) == 0
    said = capsys.readouterr().out
    assert "0 cells in both, 2 only in A, 2 only in B" in said  # the prompt changed
