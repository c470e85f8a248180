"""The README is the front door and docs/ the site behind it: their commands are the ones CI
runs and the command line takes, their code runs (or at least compiles and names real objects),
their pictures exist and are small, every link goes somewhere, and the repository's address is
written in one place per document (the README's link definitions; docs/_snippets/links.md)."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

import phota_widgets as pw

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text()
PAGES = {
    path: path.read_text() for path in sorted(DOCS.rglob("*.md")) if "_snippets" not in path.parts
}
DOC_LINKS = (DOCS / "_snippets" / "links.md").read_text()
MAX_SCREENSHOT_BYTES = 300_000
MAX_README_LINES = 150
QUICKSTART = [
    "python3 -m pip install . && phota-widgets studio",
    'python3 -m pip install -e ".[dev]" -c constraints.txt && python3 -m pytest',
]
# Pages whose Python blocks run top to bottom offline (the others only compile: they name files
# of yours, a webhook request, a team's database).
RUNNABLE_PAGES = [
    "capabilities/generate.md",
    "capabilities/edit.md",
    "capabilities/enhance.md",
    "capabilities/remix.md",
    "capabilities/profiles.md",
    "studio.md",
]


def _definitions(text: str) -> dict[str, str]:
    return dict(re.findall(r"^\[([\w-]+)\]: (\S+)$", text, flags=re.MULTILINE))


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def _page(name: str) -> str:
    return PAGES[DOCS / name]


def _everywhere() -> dict[str, str]:
    return {"README.md": README} | {
        str(path.relative_to(ROOT)): text for path, text in PAGES.items()
    }


def test_the_readme_is_a_front_door() -> None:
    assert len(README.splitlines()) <= MAX_README_LINES
    for page in ("getting-started", "studio", "experiments", "review", "teams", "performance"):
        assert f"](docs/{page}.md)" in README, page


def test_the_quickstart_commands_are_the_ones_ci_runs() -> None:
    for name, text in (("README", README), ("getting-started", _page("getting-started.md"))):
        commands = re.search(r"```bash\n(.*?)```", text, flags=re.DOTALL)
        assert commands is not None, name
        lines = [line.split("#")[0].strip() for line in commands.group(1).splitlines()]
        assert lines == QUICKSTART, name
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'python3 -m pip install -q -e ".[dev]" -c constraints.txt' in ci
    assert re.search(r"^python3 -m pytest$", ci, flags=re.MULTILINE)
    assert re.search(
        r"^(NO_MKDOCS_2_WARNING=1 )?python3 -m mkdocs build --strict", ci, re.MULTILINE
    )
    assert re.search(r"^python3 -m pytest -m slow\b", ci, flags=re.MULTILINE)  # still run


def test_the_binder_links_come_from_the_repository_address_in_one_place() -> None:
    links = _definitions(README)
    repo = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)", links["repo"])
    assert repo is not None
    binder = f"https://mybinder.org/v2/gh/{repo.group(1)}/HEAD?urlpath="
    assert links["binder-app"] == binder + "voila/render/notebooks/00_studio.ipynb"
    assert links["binder-lab"] == binder + "lab/tree/notebooks/00_studio.ipynb"
    assert README.count("mybinder.org/v2/gh/") == 2  # only in those definitions
    definitions = {line for line in README.splitlines() if re.match(r"^\[[\w-]+\]: ", line)}
    elsewhere = [
        line for line in README.splitlines() if repo.group(1) in line and line not in definitions
    ]
    assert len(elsewhere) <= 1, elsewhere  # at most the sentence saying it is a placeholder
    for name in ("[binder-app]", "[binder-lab]", "[repo]"):
        assert README.count(name) >= 2, name  # defined once and used
    assert (ROOT / "notebooks" / "00_studio.ipynb").exists()


def test_the_docs_use_the_readmes_address_and_their_links_lead_to_files() -> None:
    readme, docs = _definitions(README), _definitions(DOC_LINKS)
    for name in ("repo", "binder-app", "binder-lab"):
        assert docs[name] == readme[name], name
    for name, url in docs.items():
        inside = re.fullmatch(re.escape(readme["repo"]) + r"/(?:blob|tree)/HEAD/(.+)", url)
        if inside:
            assert (ROOT / inside.group(1)).exists(), name
    pages = "".join(PAGES.values())
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        number = path.name[:2]
        assert docs[f"nb-{number}"].endswith(f"/notebooks/{path.name}")
        assert f"[nb-{number}]" in pages, path.name
    for path, text in PAGES.items():
        assert readme["repo"] not in text, path  # pages use the definitions, not the address


def test_the_readmes_links_lead_to_files() -> None:
    targets = re.findall(r"\]\(((?!https?:)[^)#]+)(?:#[^)]*)?\)", README)
    assert len(targets) > 10
    for target in targets:
        assert (ROOT / target).exists(), target


def test_the_screenshots_exist_are_small_and_are_shown() -> None:
    assert "](docs/studio.png)" in README
    shots = sorted(DOCS.glob("*.png"))
    assert {shot.name for shot in shots} >= {"studio.png", "sweep-grid.png"}
    gallery = _page("screenshots.md")
    for shot in shots:
        assert shot.read_bytes().startswith(b"\x89PNG")
        assert shot.stat().st_size < MAX_SCREENSHOT_BYTES
        assert f"]({shot.name})" in gallery, shot.name


def test_every_public_name_is_in_the_api_reference() -> None:
    reference = "".join(text for path, text in PAGES.items() if "reference" in path.parts)
    documented = set(re.findall(r"^::: phota_widgets\.(\w+)$", reference, flags=re.MULTILINE))
    assert documented == set(pw.__all__)


def test_every_pw_name_in_the_docs_exists() -> None:
    for where, text in _everywhere().items():
        for name in set(re.findall(r"\bpw\.(\w+)", text)):
            assert name in pw.__all__, f"{where}: pw.{name}"


def test_every_python_block_compiles() -> None:
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    count = 0
    for where, text in _everywhere().items():
        for block in _blocks(text, "python"):
            compile(block, where, "exec", flags=flags)
            count += 1
    assert count >= 15


def _command_lines() -> list[tuple[str, list[str]]]:
    """Every ``phota-widgets`` / ``benchmarks`` command written in a block or in inline code."""
    found = []
    for where, text in _everywhere().items():
        pieces = [
            part
            for block in _blocks(text, "bash")
            for line in block.splitlines()
            for part in line.split("#")[0].split("&&")
        ]
        pieces += re.findall(r"`((?:phota-widgets|python3? -m benchmarks)\b[^`]*)`", text)
        for piece in pieces:
            words = shlex.split(piece.strip())
            if words[:1] == ["phota-widgets"] or words[1:3] == ["-m", "benchmarks"]:
                found.append((where, words))
    return found


def _help(argv: list[str], benchmarks: bool) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as stop:
        if benchmarks:
            from benchmarks.__main__ import main as bench_main

            bench_main([*argv, "--help"])
        else:
            from phota_widgets.cli import main

            main([*argv, "--help"])
    assert stop.value.code == 0, argv
    return out.getvalue()


def test_every_command_in_the_docs_is_one_the_command_line_takes() -> None:
    commands = _command_lines()
    assert len(commands) >= 8
    for where, words in commands:
        benchmarks = words[0] != "phota-widgets"
        args = words[3:] if benchmarks else words[1:]
        if not benchmarks and not args:
            continue  # the bare command
        subcommand = [] if benchmarks else args[:1]
        text = _help(subcommand, benchmarks)
        for flag in (word for word in args if word.startswith("--")):
            assert flag in text, f"{where}: {' '.join(words)}"


def test_the_documented_dry_run_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from phota_widgets.cli import main

    dry_runs = [words for _, words in _command_lines() if "--dry-run" in words]
    assert dry_runs
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PHOTA_API_KEY", raising=False)
    for words in dry_runs:
        args = [str(ROOT / word) if word.startswith("examples/") else word for word in words[1:]]
        assert main(args) == 0
        assert "cells" in capsys.readouterr().out.lower()


def test_the_code_example_runs_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = re.search(r"## In a notebook\n\n```python\n(.*?)```", README, flags=re.DOTALL)
    assert example is not None
    code = example.group(1)
    assert 8 <= len(code.strip().splitlines()) <= 12
    assert code in _page("getting-started.md")  # the same example opens the docs
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PHOTA_API_KEY", raising=False)
    monkeypatch.delenv("PHOTA_BASE_URL", raising=False)
    namespace: dict[str, object] = {}
    try:
        exec(compile(code, "README.md", "exec"), namespace)
        session = namespace["s"]
        assert len(session.history) == 2  # type: ignore[attr-defined]
    finally:
        if "s" in namespace:
            namespace["s"].close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("page", RUNNABLE_PAGES)
def test_the_pages_code_runs_offline(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = _blocks(_page(page), "python")
    assert blocks
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PHOTA_API_KEY", raising=False)
    monkeypatch.delenv("PHOTA_BASE_URL", raising=False)
    namespace: dict[str, object] = {"pw": pw}
    try:
        for block in blocks:
            code = compile(block, page, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            outcome = eval(code, namespace)  # a coroutine when the block awaits
            if asyncio.iscoroutine(outcome):
                asyncio.run(outcome)
        session = namespace["s"]
        assert len(session.history) >= 1  # type: ignore[attr-defined]
    finally:
        if "s" in namespace:
            namespace["s"].close()  # type: ignore[attr-defined]
