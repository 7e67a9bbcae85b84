"""Features as packages, checked: the same feature names in every layer, folders small enough to read, and
one feature reaching another only through the names its package exports, without a cycle between packages."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYERS = ["models", "tasks", "flows", "deployments"]
MAX_MODULES = 12  # on one level of a folder


def folders() -> list[Path]:
    return sorted({path.parent for layer in LAYERS for path in (ROOT / layer).rglob("*.py")})


def module_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def feature_of(module: str) -> str | None:
    """`tasks.mail.outbox` → `mail`; a module at a layer's top belongs to no feature."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (ROOT / parts[0] / parts[1]).is_dir() else None


def runtime_imports(path: Path) -> Iterator[ast.ImportFrom]:
    """`from … import …` of our layers, skipping `if TYPE_CHECKING:` blocks (annotations only, never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checking = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level or id(node) in checking:
            continue
        if node.module and node.module.split(".")[0] in LAYERS:
            yield node


def exported(package: str) -> set[str]:
    tree = ast.parse((ROOT / Path(*package.split(".")) / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return {ast.literal_eval(element) for element in node.value.elts}  # type: ignore[attr-defined]
    return set()


@pytest.mark.parametrize("folder", folders(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_folder_holds_more_than_twelve_modules(folder: Path) -> None:
    count = len([path for path in folder.glob("*.py") if path.name != "__init__.py"])
    assert count <= MAX_MODULES, f"{folder.relative_to(ROOT)} holds {count} modules: give a feature its package"


def test_every_layer_names_its_features_the_same() -> None:
    """A feature package of tasks/ or deployments/ is one that models/ names too (the plan, the engine …)."""
    known = {path.name for path in (ROOT / "models").iterdir() if (path / "__init__.py").exists()}
    for layer in ("tasks", "deployments"):
        for package in (ROOT / layer).iterdir():
            if (package / "__init__.py").exists():
                assert package.name in known | {"ops", "simulate"}, f"{layer}/{package.name} names no feature"


@pytest.mark.parametrize(
    "path",
    [p for layer in LAYERS for p in sorted((ROOT / layer).rglob("*.py"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_a_feature_imports_another_only_through_its_public_names(path: Path) -> None:
    mine = feature_of(module_of(path))
    reached = []
    for node in runtime_imports(path):
        theirs = feature_of(node.module or "")
        if theirs is None or theirs == mine:
            continue
        package = ".".join((node.module or "").split(".")[:2])
        public = exported(package)
        hidden = [alias.name for alias in node.names if node.module != package or alias.name not in public]
        if hidden:
            reached.append(f"from {node.module} import {', '.join(hidden)}")
    assert not reached, f"{path.relative_to(ROOT)} reaches inside other features (import from the package): {reached}"


def test_feature_packages_import_each_other_without_a_cycle() -> None:
    """Each package's __init__ imports its modules, so a cycle between packages fails at import time."""
    graph: dict[str, set[str]] = {}
    for layer in LAYERS:
        for path in (ROOT / layer).rglob("*.py"):
            module = module_of(path)
            if feature_of(module) is None:
                continue
            package = ".".join(module.split(".")[:2])
            for node in runtime_imports(path):
                target = ".".join((node.module or "").split(".")[:2])
                if feature_of(node.module or "") is not None and target != package:
                    graph.setdefault(package, set()).add(target)
    on_cycle = [start for start in graph if _reaches(graph, start, start)]
    assert not on_cycle, f"feature packages on an import cycle: {sorted(on_cycle)}"


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    todo, seen = list(graph.get(start, ())), set()
    while todo:
        current = todo.pop()
        if current == goal:
            return True
        if current not in seen:
            seen.add(current)
            todo += graph.get(current, ())
    return False
