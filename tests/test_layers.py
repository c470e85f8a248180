"""The package's layers, checked from its source: lower layers never import higher ones.

Every module is put in a layer by :func:`layer_of`; every ``import`` in it is read with ``ast`` and
classed as *eager* (runs when the module is imported) or *lazy* (inside a function or method, or
under ``if TYPE_CHECKING:``, so it never runs at import time). Each layer may import, eagerly, only
the layers in ``EAGER``, and lazily also those in ``LAZY``. The picture these rules enforce is drawn
in ``phota_widgets/__init__.py``'s docstring (and shown on the docs' Architecture page).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import phota_widgets

PACKAGE = Path(phota_widgets.__file__).parent

# Modules at the package root that belong to the session layer. A later step moves them into
# phota_widgets/session/ (then they are classed by that folder, and these entries match nothing).
SESSION_ROOT_MODULES = {
    "store_writer",
    "owners",
    "claimed",
    "watch",
    "profile_cache",
    "history",
    "submits",
    "concurrency",
    "pacing",
    "key_check",
    "offline_inputs",
    "snippets",
}
# Small shared helpers at the root: anyone may import them; they import nothing of the package.
UTILITY_MODULES = {"csv_export", "files", "redact", "samples"}
# What a user runs or imports first: the public facade and the command-line entry points.
ENTRY_MODULES = {"cli", "demo"}
FOLDER_LAYERS = {
    "api": "api",
    "local": "local",
    "store": "store",
    "session": "session",
    "experiments": "experiments",
    "widgets": "widgets",
    "app": "entry",
}

BELOW_SESSION = {"utilities", "api", "store"}
EAGER: dict[str, set[str]] = {
    "utilities": {"utilities"},
    "api": {"utilities", "api"},
    "local": {"utilities", "api", "local"},
    "store": {"utilities", "api", "store"},
    "session": BELOW_SESSION | {"session"},
    "display": BELOW_SESSION | {"session", "display"},
    "experiments": BELOW_SESSION | {"session", "display", "experiments"},
    "widgets": BELOW_SESSION | {"session", "display", "experiments", "widgets"},
    "entry": BELOW_SESSION | {"local", "session", "display", "experiments", "widgets", "entry"},
}
# Imports allowed only inside functions (or for type checking): the session starts the embedded
# server and hands sweeps over to experiments on demand; a sweep result returns its review panel.
LAZY: dict[str, set[str]] = {
    "session": {"local", "experiments"},
    "experiments": {"widgets"},
}


def layer_of(module: str) -> str:
    """The layer of a dotted module name inside the package (``phota_widgets.store.runstore``)."""
    parts = module.split(".")
    assert parts[0] == "phota_widgets", module
    if len(parts) == 1:
        return "entry"  # the package's __init__: the public facade
    first = parts[1]
    if first in FOLDER_LAYERS:
        return FOLDER_LAYERS[first]
    if first in SESSION_ROOT_MODULES:
        return "session"
    if first in UTILITY_MODULES:
        return "utilities"
    if first in ENTRY_MODULES:
        return "entry"
    if first in ("display", "history_report"):
        return "display"
    raise AssertionError(
        f"{module} is in no layer: put it in a layer's folder or classify it in this test"
    )


@dataclass(frozen=True)
class Import:
    """One import of a package module found in a module's source."""

    importer: str
    target: str
    lazy: bool
    line: int


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str) -> bool:
    relative = Path(*dotted.split("."))
    base = PACKAGE.parent / relative
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _resolve_from(package: str, name: str) -> str:
    """What ``from package import name`` really imports: a submodule, or where a name is defined."""
    if _is_module(f"{package}.{name}"):
        return f"{package}.{name}"
    if package == "phota_widgets":
        # The facade's names load lazily from their real modules; its eager names are the errors.
        return phota_widgets._LAZY.get(name, "phota_widgets.api.errors")
    return package


def imports_in(source: str, module: str, is_package: bool = False) -> list[Import]:
    """Every import of a ``phota_widgets`` module in ``source``, eager or lazy."""
    found: list[Import] = []
    package = module if is_package else module.rpartition(".")[0]

    def visit(node: ast.AST, lazy: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "phota_widgets":
                    found.append(Import(module, alias.name, lazy, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            if origin.split(".")[0] == "phota_widgets":
                for alias in node.names:
                    target = _resolve_from(origin, alias.name)
                    found.append(Import(module, target, lazy, node.lineno))
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                inner = inner or child in node.body
            visit(child, inner)

    visit(ast.parse(source), lazy=False)
    return found


def violations(found: list[Import]) -> list[str]:
    """The imports that break the layer rules, each as a sentence naming the line."""
    broken = []
    for imp in found:
        here, there = layer_of(imp.importer), layer_of(imp.target)
        allowed = EAGER[here] | (LAZY.get(here, set()) if imp.lazy else set())
        if imp.target == "phota_widgets" or there in allowed:
            continue
        how = "inside a function" if imp.lazy else "at module level"
        broken.append(f"{imp.importer}:{imp.line} ({here}) imports {imp.target} ({there}) {how}")
    return broken


def _package_imports() -> list[Import]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        found += imports_in(path.read_text(), module, is_package=path.name == "__init__.py")
    return found


def test_every_module_is_in_a_layer() -> None:
    modules = [_module_name(path) for path in PACKAGE.rglob("*.py")]
    assert len(modules) > 50
    layers = {module: layer_of(module) for module in modules}
    assert layers["phota_widgets.session"] == "session"
    assert layers["phota_widgets.api.client"] == "api"
    assert layers["phota_widgets.widgets.studio"] == "widgets"


def test_no_layer_imports_one_above_it() -> None:
    found = _package_imports()
    assert len(found) > 200  # the parser sees the package's imports
    assert violations(found) == []


# Where experiments may import the session layer: the protocol of what they need of a Session,
# and the two commands that open one (`phota-widgets sweep`, `phota-widgets compare`).
SESSION_BOUNDARY = {
    "phota_widgets.experiments.session_protocol",
    "phota_widgets.experiments.sweeps.command",
    "phota_widgets.experiments.compare.command",
}


def session_crossings(found: list[Import]) -> list[str]:
    """Imports of the session layer by experiments outside ``SESSION_BOUNDARY``."""
    return [
        f"{imp.importer}:{imp.line} imports {imp.target}"
        for imp in found
        if layer_of(imp.importer) == "experiments"
        and layer_of(imp.target) == "session"
        and imp.importer not in SESSION_BOUNDARY
    ]


def test_experiments_reach_the_session_through_one_protocol() -> None:
    found = _package_imports()
    assert any(imp.importer == "phota_widgets.experiments.session_protocol" for imp in found)
    assert session_crossings(found) == []


def test_a_session_import_elsewhere_in_experiments_is_caught() -> None:
    planted = "if TYPE_CHECKING:\n    from phota_widgets.session import Session\n"
    found = imports_in(planted, "phota_widgets.experiments.sweeps.result")
    assert len(session_crossings(found)) == 1
    allowed = imports_in(planted, "phota_widgets.experiments.session_protocol")
    assert session_crossings(allowed) == []


def test_the_facade_loads_only_the_errors_eagerly() -> None:
    source = (PACKAGE / "__init__.py").read_text()
    eager = {imp.target for imp in imports_in(source, "phota_widgets", True) if not imp.lazy}
    assert eager == {"phota_widgets.api.errors"}


def test_the_docstring_draws_every_layer() -> None:
    picture = phota_widgets.__doc__ or ""
    for layer in ("api/", "local/", "store/", "session", "experiments/", "display", "widgets/"):
        assert layer in picture, layer


def test_the_session_layer_moves_without_changing_its_rules() -> None:
    for name in sorted(SESSION_ROOT_MODULES):
        assert layer_of(f"phota_widgets.{name}") == "session"
        assert layer_of(f"phota_widgets.session.{name}") == "session"


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("phota_widgets.store.runs", "from phota_widgets.session import Session\n", "at module"),
        ("phota_widgets.api.client", "def f():\n    import phota_widgets.store\n", "inside"),
        ("phota_widgets.local.app", "from phota_widgets import RunStore\n", "store"),
        (
            "phota_widgets.session",
            "def f():\n    from phota_widgets.widgets import grid\n",
            "inside",
        ),
        (
            "phota_widgets.session",
            "from phota_widgets.experiments.sweeps import entry\n",
            "module level",
        ),
        ("phota_widgets.experiments.sweeps.result", "from ...widgets.review import R\n", "widgets"),
        ("phota_widgets.display", "from phota_widgets import Studio\n", "widgets"),
    ],
)
def test_a_planted_violation_is_caught(module: str, source: str, expected: str) -> None:
    broken = violations(imports_in(source, module))
    assert len(broken) == 1 and expected in broken[0], broken


@pytest.mark.parametrize(
    ("module", "source"),
    [
        (
            "phota_widgets.session",
            "def f():\n    from phota_widgets.experiments.sweeps import entry\n",
        ),
        ("phota_widgets.session", "if TYPE_CHECKING:\n    from phota_widgets.local import L\n"),
        (
            "phota_widgets.experiments.sweeps.result",
            "def review():\n    from ...widgets import review\n",
        ),
        ("phota_widgets.widgets.grid", "from phota_widgets import display\n"),
        ("phota_widgets.store.files", "from phota_widgets.files import atomic_write\n"),
    ],
)
def test_allowed_imports_pass(module: str, source: str) -> None:
    assert violations(imports_in(source, module)) == []
