"""`greencomm status` prints plan-supplied names as they read: never as Rich markup, never as terminal escapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from deployments.cli import app
from deployments.reports.status_view import plain
from tests.conftest import plan_data, write_plan

NAMES = ["[/b]", "[link=http://x]y[/link]", "红[bold]色"]  # control characters never pass `plan check`


def test_status_prints_community_names_literally(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = plan_data()
    for community, name in zip(data["communities"], NAMES, strict=True):
        community["name"] = name
    monkeypatch.setenv("GREENCOMM_PLAN", str(write_plan(tmp_path, data)))
    monkeypatch.setenv("GREENCOMM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("GREENCOMM_DATABASE_URL", f"sqlite:///{tmp_path / 'greencomm.db'}")
    monkeypatch.setenv("COLUMNS", "200")  # no wrapping of the name column
    result = CliRunner().invoke(app, ["status", "--as-of", "2022-01-20"])
    assert result.exit_code == 0, result.output
    assert "[/b]" in result.stdout
    assert "[link=http://x]y[/link]" in result.stdout
    assert "红[bold]色" in result.stdout


def test_plain_removes_terminal_control_codes_and_escapes_markup() -> None:
    # A database edited by hand could still hold them: status never passes them to the terminal.
    assert plain("红\x1b[31m色\x07") == "红[31m色"
    assert plain("[/b]") == "\\[/b]"
