"""Hostile experiment files and sweeps, each run in a child process under a memory cap.

A 400-byte YAML alias bomb, ``repeats: 100000000`` and var explosions once reached 3 GB; deep
nesting, NUL bytes, bad UTF-8 and ``/dev/zero`` ended in tracebacks. Each must now end in a plain
``line N, field F`` error with exit 2, quickly, within the cap, and (as a dry run) make no store.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
CAP_MB = 1024
"""Address-space cap of the child: far below the gigabytes the attacks used to reach."""

_CLI = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap} * 2**20, {cap} * 2**20))
from phota_widgets.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _alias_bomb() -> str:
    lines = ["endpoint: generate", 'prompts: ["a cat"]', "grid:"]
    lines.append('  aspect_ratio: &a ["1:1","1:1","1:1","1:1","1:1","1:1","1:1","1:1","1:1"]')
    for name, previous in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"  x{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _var_explosion() -> str:
    values = ", ".join(str(i) for i in range(60))
    names = "abcde"
    return (
        "endpoint: generate\n"
        f'prompts: ["{"".join("{" + n + "}" for n in names)}"]\n'
        "vars:\n" + "".join(f"  {n}: [{values}]\n" for n in names)
    )


ATTACKS: dict[str, tuple[bytes, str]] = {
    "alias bomb": (_alias_bomb().encode(), "line "),
    "repeats 1e8": (b'endpoint: generate\nprompts: ["a cat"]\nrepeats: 100000000\n', "max_cells"),
    "var explosion": (_var_explosion().encode(), "max_cells=200,000"),
    "deep nesting": (b"endpoint: generate\nprompts: " + b"[" * 5000 + b"]" * 5000, "line 2"),
    "NUL byte": (b'endpoint: generate\nprompts: ["a\x00cat"]\n', "line 2"),
    "bad UTF-8": (b'endpoint: generate\nprompts:\n  - "caf\xe9"\n', "line 3"),
    "repeats true": (b'endpoint: generate\nprompts: ["a"]\nrepeats: true\n', "field repeats"),
    "negative budget": (b'endpoint: generate\nprompts: ["a"]\nmax_cost: -1\n', "field max_cost"),
    "duplicate key": (
        b'endpoint: generate\nprompts: ["a"]\nrepeats: 2\nrepeats: 3\n',
        "lines 3 and 4",
    ),
    "unused var": (
        b'endpoint: generate\nprompts: ["a {animal}"]\nvars:\n  animal: [owl]\n  colour: [red]\n',
        "line 5, field vars.colour",
    ),
    "braces without vars": (
        b'endpoint: generate\nprompts:\n  - "a {animal}"\n',
        "line 3, field prompts.0",
    ),
}


def _run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CLI.format(cap=CAP_MB), *args],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_hostile_file_is_refused_in_words_within_the_memory_cap(
    attack: str, tmp_path: Path
) -> None:
    data, expected = ATTACKS[attack]
    path = tmp_path / "experiment.yaml"
    path.write_bytes(data)
    out = tmp_path / "results"
    done = _run_cli(["sweep", str(path), "--dry-run", "--out", str(out)], tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert done.stderr.startswith(f"error: {path}"), done.stderr
    assert expected in done.stderr, done.stderr
    assert not out.exists(), "a dry run made a store"


def test_dev_zero_is_refused_as_binary_not_read_forever(tmp_path: Path) -> None:
    done = _run_cli(["sweep", "/dev/zero", "--dry-run", "--out", str(tmp_path / "o")], tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr == (
        "error: /dev/zero, line 1: the file holds a NUL byte: an experiment file is text "
        "(YAML), not binary data\n"
    )


def test_an_oversized_file_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("endpoint: generate\nprompts:\n" + '  - "a cat"\n' * 200_000)
    done = _run_cli(["sweep", str(path), "--dry-run", "--out", str(tmp_path / "o")], tmp_path)
    assert done.returncode == 2
    assert "larger than 1 MB" in done.stderr and "Traceback" not in done.stderr


_SWEEP = """
import resource, sys, warnings
resource.setrlimit(resource.RLIMIT_AS, ({cap} * 2**20, {cap} * 2**20))
import phota_widgets as pw
from phota_widgets.experiments.sweeps.axes import SweepSpecError
s = pw.Session(api_key="k" * 24, base_url="http://127.0.0.1:9/v1/phota", output_dir="runs")
values = [str(i) for i in range(60)]
attacks = {{
    "repeats": dict(prompts=["a cat"], repeats=100_000_000),
    "vars": dict(prompts=["{{a}}{{b}}{{c}}{{d}}{{e}}"], vars=dict.fromkeys("abcde", values)),
    "settings": dict(prompts=["a cat"], repeats=20_000, aspect_ratio=["1:1", "16:9", "9:16"],
                     resolution=["1K", "2K"], base_model=["nb2", "flux-2"]),
}}
for name, kwargs in attacks.items():
    for dry_run in (True, False):
        try:
            s.sweep("generate", dry_run=dry_run, **kwargs)
        except SweepSpecError as exc:
            assert "max_cells=200,000" in str(exc), exc
            print(name, "refused")
        else:
            raise SystemExit(f"{{name}} was planned")
plan = s.sweep("generate", prompts=["a cat"], repeats=300_001, max_cells=400_000, dry_run=True)
print("raised limit", plan.calls)
s.close()
"""


def test_session_sweep_has_the_same_bounds_within_the_memory_cap(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_SWEEP.format(cap=2 * CAP_MB))],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("refused") == 6
    assert "raised limit 300001" in done.stdout


def test_braces_without_vars_warn_in_code_and_doubled_braces_are_text() -> None:
    from phota_widgets.experiments.sweeps.plan import make_plan

    with pytest.warns(UserWarning, match=r"double the braces \(\{\{animal\}\}\)"):
        plan = make_plan("generate", prompts=["a {animal} at dusk"])
    assert plan.cells[0].params["prompt"] == "a {animal} at dusk"  # sent as written, said so
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        literal = make_plan("generate", prompts=["a {{json}} sign"])
    assert literal.cells[0].params["prompt"] == "a {json} sign"
