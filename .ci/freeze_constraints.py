"""Write constraints.txt: the exact versions this environment has of what ``.[dev]`` pulls in.

Run it after an upgrade that the suite passed on: ``python3 .ci/freeze_constraints.py``.
Only the project's dependencies, its ``dev`` extra and what they require (markers evaluated
for this interpreter) are listed, never the rest of the environment; ``.ci/run`` and the
README's test command install with ``-c constraints.txt``.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
HEADER = """\
# Exact versions the test suite runs on (the closure of `pip install -e ".[dev]"`).
# Made by `python3 .ci/freeze_constraints.py` from a passing environment; used as
#   python3 -m pip install -e ".[dev]" -c constraints.txt
"""


def _wanted(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    environment = dict(default_environment())
    return any(
        requirement.marker.evaluate({**environment, "extra": extra}) for extra in (extras or {""})
    )


def closure(roots: list[Requirement]) -> dict[str, str]:
    """Every distribution the roots need, name -> installed version."""
    pinned: dict[str, str] = {}
    queue: list[tuple[Requirement, set[str]]] = [(r, set(r.extras)) for r in roots]
    seen: set[tuple[str, frozenset[str]]] = set()
    while queue:
        requirement, extras = queue.pop()
        name = canonicalize_name(requirement.name)
        if (name, frozenset(extras)) in seen:
            continue
        seen.add((name, frozenset(extras)))
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            sys.exit(f"{requirement.name} is required but not installed here")
        pinned[name] = dist.version
        for text in dist.requires or []:
            child = Requirement(text)
            if _wanted(child, extras):
                queue.append((child, set(child.extras)))
    return pinned


def main() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = dict(default_environment())
    roots = [
        Requirement(text)
        for text in [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    ]
    roots = [r for r in roots if r.marker is None or r.marker.evaluate({**env, "extra": ""})]
    pinned = closure(roots)
    pinned.pop(canonicalize_name(project["name"]), None)
    lines = [f"{name}=={version}" for name, version in sorted(pinned.items())]
    (ROOT / "constraints.txt").write_text(HEADER + "\n".join(lines) + "\n")
    print(f"constraints.txt: {len(lines)} pinned distributions")


if __name__ == "__main__":
    main()
