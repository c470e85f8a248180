"""The README is the front door: its commands are the ones CI runs, its code example runs, its
pictures exist and are small, and its Binder links come from the repository's address."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
MAX_SCREENSHOT_BYTES = 300_000


def _definitions() -> dict[str, str]:
    return dict(re.findall(r"^\[([\w-]+)\]: (\S+)$", README, flags=re.MULTILINE))


def test_the_quickstart_commands_are_the_ones_ci_runs() -> None:
    commands = re.search(r"## Quickstart.*?```bash\n(.*?)```", README, flags=re.DOTALL)
    assert commands is not None
    lines = [line.split("#")[0].strip() for line in commands.group(1).splitlines()]
    assert lines == [
        "python3 -m pip install . && phota-widgets studio",
        'python3 -m pip install -e ".[dev]" -c constraints.txt && python3 -m pytest',
    ]
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'python3 -m pip install -q -e ".[dev]" -c constraints.txt' in ci
    assert re.search(r"^python3 -m pytest$", ci, flags=re.MULTILINE)
    assert re.search(r"^python3 -m pytest -m slow\b", ci, flags=re.MULTILINE)  # still run


def test_the_binder_links_come_from_the_repository_address_in_one_place() -> None:
    links = _definitions()
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


@pytest.mark.parametrize("name", ["studio.png", "sweep-grid.png"])
def test_the_screenshots_exist_and_are_small(name: str) -> None:
    assert f"](docs/{name})" in README
    shot = ROOT / "docs" / name
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert shot.stat().st_size < MAX_SCREENSHOT_BYTES


def test_the_code_example_runs_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = re.search(r"## In a notebook\n\n```python\n(.*?)```", README, flags=re.DOTALL)
    assert example is not None
    code = example.group(1)
    assert 8 <= len(code.strip().splitlines()) <= 12
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
