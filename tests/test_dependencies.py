"""Dependencies as declared: every distribution pyproject.toml names is imported by our code, and every package
our code imports is named there (deptry, configured under [tool.deptry])."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

DEPTRY = Path(sys.executable).parent / "deptry"


def deptry(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(DEPTRY), "--no-ansi", "."], cwd=folder, capture_output=True, text=True, timeout=120)


def test_what_we_import_is_what_we_declare() -> None:
    done = deptry(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_check_names_an_unused_and_an_undeclared_dependency(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "probe"\nversion = "0"\ndependencies = ["jinja2>=3.1", "openpyxl>=3.1"]\n',
        encoding="utf-8",
    )
    (tmp_path / "probe.py").write_text("import jinja2\nimport sqlalchemy\n", encoding="utf-8")
    done = deptry(tmp_path)
    report = done.stdout + done.stderr
    assert done.returncode == 1
    assert "DEP002 'openpyxl' defined as a dependency but not used" in report
    assert "DEP003 'sqlalchemy' imported but it is a transitive dependency" in report or "DEP001 'sqlalchemy'" in report
