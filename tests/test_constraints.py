"""constraints.txt pins every dependency the project and its dev extra name, within their bounds."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _direct() -> list[Requirement]:
    texts = [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["dev"]]
    return [Requirement(text) for text in texts]


def test_every_direct_dependency_is_pinned_inside_its_bounds() -> None:
    pins = _pins()
    for requirement in _direct():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in constraints.txt: run .ci/freeze_constraints.py"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} is outside {requirement.specifier}"
        )


def test_the_suite_runs_on_the_pinned_versions() -> None:
    pins = _pins()
    drifted = {
        name: (metadata.version(name), pins[name])
        for name in (canonicalize_name(r.name) for r in _direct())
        if metadata.version(name) != pins[name]
    }
    assert not drifted, f"installed != pinned (install with -c constraints.txt): {drifted}"


def test_new_dev_tools_are_declared() -> None:
    dev = {canonicalize_name(Requirement(t).name) for t in PROJECT["optional-dependencies"]["dev"]}
    main = {canonicalize_name(Requirement(t).name) for t in PROJECT["dependencies"]}
    assert {"openai", "imagehash", "pytest-xdist", "mkdocs-material", "mkdocstrings"} <= dev
    assert {"openai", "imagehash"} <= main
    pytest_spec = next(r.specifier for r in _direct() if r.name == "pytest")
    assert "9.2" not in pytest_spec  # 9.2 broke schemathesis' plugin on a clean install
