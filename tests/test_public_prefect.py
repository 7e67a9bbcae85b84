"""Prefect's public API only (issue 19): no attribute with a leading underscore is read off a Prefect object, and
no private Prefect module is imported, so the next Prefect release cannot break `up` silently.

Checked over our sources with the ast: a `._name` attribute is read only off `self` or `cls` inside a class of ours
that does not derive from a Prefect class (our own private state). The one exception is the documented API of
named tuples (`_fields`, `_make`, …), which Python spells with an underscore so it never clashes with a field.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYERS = ["models", "tasks", "flows", "deployments"]
NAMED_TUPLE_API = {"_fields", "_make", "_asdict", "_replace", "_field_defaults"}


def sources() -> list[Path]:
    return sorted(path for layer in LAYERS for path in (ROOT / layer).rglob("*.py"))


def prefect_names(tree: ast.Module) -> set[str]:
    """Names this module binds from Prefect (`from prefect.runner import Runner` → Runner; `import prefect`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "prefect":
            names |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.split(".")[0] == "prefect"}
    return names


def derives_from_prefect(cls: ast.ClassDef, imported: set[str]) -> bool:
    return any(
        (isinstance(base, ast.Name) and base.id in imported)
        or (isinstance(base, ast.Attribute) and ast.unparse(base).split(".")[0] in imported)
        for base in cls.bases
    )


def private_reads(tree: ast.Module) -> list[str]:
    """Every `x._name` that is not our own object's state, as 'line: source'."""
    imported = prefect_names(tree)
    found: list[str] = []

    def visit(node: ast.AST, own_class: bool) -> None:
        if isinstance(node, ast.ClassDef):
            own_class = not derives_from_prefect(node, imported)
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            on_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if not (on_self and own_class) and node.attr not in NAMED_TUPLE_API:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        for child in ast.iter_child_nodes(node):
            visit(child, own_class)

    visit(tree, own_class=False)
    return found


def private_prefect_modules(tree: ast.Module) -> list[str]:
    modules = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    modules += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    return [m for m in modules if m.split(".")[0] == "prefect" and any(p.startswith("_") for p in m.split("."))]


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_attribute_of_anything_but_our_own_objects(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    reads = private_reads(tree)
    assert not reads, f"{path.relative_to(ROOT)} reads private attributes (use Prefect's public API): {reads}"
    modules = private_prefect_modules(tree)
    assert not modules, f"{path.relative_to(ROOT)} imports private Prefect modules: {modules}"


OLD_DRAIN = """
def drain(runner):
    runner._scheduled_run_poller.stopping = True
    runner._loops_task_group.cancel()
"""
SUBCLASS = """
from prefect.runner import Runner
class Draining(Runner):
    def left(self):
        return self._process_manager
"""
OWN = """
class Sink:
    def messages(self):
        return self._lock
"""


def test_the_check_catches_what_serve_runner_used_to_do() -> None:
    """The old drain reached into the runner; a subclass of a Prefect class gets no pass on `self` either."""
    assert private_reads(ast.parse(OLD_DRAIN)) == ["3: runner._scheduled_run_poller", "4: runner._loops_task_group"]
    assert private_reads(ast.parse(SUBCLASS)) == ["5: self._process_manager"]
    assert private_reads(ast.parse(OWN)) == []
    assert private_prefect_modules(ast.parse("from prefect.runner._process_manager import ProcessManager\n"))
