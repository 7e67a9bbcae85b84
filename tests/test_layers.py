"""The house rules, checked: imports go downward only, flows hold no I/O, modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYERS = ["models", "tasks", "flows", "deployments"]  # each may import only from those before it
MAX_LINES = 300


def modules() -> list[Path]:
    return sorted(path for layer in LAYERS for path in (ROOT / layer).rglob("*.py"))


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_downward_only(path: Path) -> None:
    layer = path.relative_to(ROOT).parts[0]
    above = set(LAYERS[LAYERS.index(layer) + 1 :])
    upward = sorted(name for name in imported(path) if name.split(".")[0] in above)
    assert not upward, f"{path.relative_to(ROOT)} imports from a layer above it: {upward}"


@pytest.mark.parametrize("path", sorted((ROOT / "flows").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_flows_only_sequence_tasks(path: Path) -> None:
    io = {"sqlmodel", "sqlalchemy", "models.settings", "tasks.db", "tasks.store", "aiosmtplib", "httpx"}
    assert not imported(path) & io, f"flows/{path.name} does I/O of its own"


@pytest.mark.parametrize("path", sorted((ROOT / "models").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_models_do_no_io(path: Path) -> None:
    io = {"prefect", "aiosmtplib", "aiosmtpd", "httpx", "subprocess", "socket", "alembic"}
    used = {name for name in imported(path) if name.split(".")[0] in io}
    assert not used, f"models/{path.name} does I/O: {sorted(used)}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_300_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by what it does"


def test_no_import_cycle() -> None:
    """No module reaches itself through the project's imports (lazy ones inside functions included)."""
    names = {".".join(path.relative_to(ROOT).with_suffix("").parts): path for path in modules()}
    graph = {name: {i for i in imported(path) if i in names and i != name} for name, path in names.items()}
    cycles = []
    for start in graph:
        todo, seen = list(graph[start]), set()
        while todo:
            current = todo.pop()
            if current == start:
                cycles.append(start)
                break
            if current not in seen:
                seen.add(current)
                todo += graph[current]
    assert not cycles, f"modules on an import cycle: {sorted(cycles)}"
