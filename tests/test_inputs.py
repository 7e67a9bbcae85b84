"""Hostile input to `plan check` and to every command's settings: one line naming what and where, exit 2."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from deployments.cli import app
from deployments.plan_file import load_plan
from models.plan.checks import PlanError
from tests.conftest import GREENCOMM, SMALL_PLAN, plan_data, write_plan

runner = CliRunner()


def check_text(tmp_path: Path, text: str) -> tuple[int, str, str]:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["plan", "check", str(path)])
    return result.exit_code, result.stdout, result.stderr


def dumped(**changes: Any) -> str:
    """The small plan with `changes` applied (dotted paths), as YAML."""
    data = plan_data()
    for path, value in changes.items():
        *parents, last = path.split("__")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


SMALL = SMALL_PLAN.read_text(encoding="utf-8")
BAD_TEXTS: list[tuple[str, str, str]] = [
    ("duplicate key", SMALL + "areas: []\n", "line 48: duplicate key 'areas' (first at line 14)"),
    ("duplicate key in a flow mapping", SMALL.replace("{id: c1,", "{id: c1, id: c9,"), "duplicate key 'id'"),
    ("impossible unquoted date", SMALL.replace("start: 2022-01-04", "start: 2022-13-04"), "phases[0].start:"),
    ("year zero", SMALL.replace("end: 2022-03-31}", "end: 0000-01-01}"), "campaign.end:"),
    ("nested too deeply", "campaign: " + "[" * 3000, "not valid YAML: nested too deeply"),
    ("a NUL byte in the file", SMALL.replace("小测试", "小\x00测试"), "character U+0000 is not allowed"),
    ("NUL in a name", dumped(communities__0__name="社区\x00一"), "communities[0].name: must be one line of plain text"),
    ("U+2028 in a name", dumped(offices__1__name="工程\u2028办"), "offices[1].name: must be one line of plain text"),
    ("U+2029 in a text", dumped(standards__0__text="有\u2029机制"), "standards[0].text: must be one line"),
    ("a control character", dumped(campaign__name="小\x1b测试"), "campaign.name: must be one line of plain text"),
    ("NaN as a standard's min", dumped(standards__1__measure={"min": float("nan")}), "standards[1].measure.min:"),
    ("inf as a standard's min", dumped(standards__1__measure={"min": float("inf")}), "standards[1].measure.min:"),
    ("a negative min", dumped(standards__1__measure={"min": -1}), "standards[1].measure.min:"),
    ("NaN as a share", dumped(targets__0__min_share=float("nan")), "targets[0].min_share:"),
    ("a campaign ending in 9999", dumped(campaign__end="9999-12-31"), "campaign.end: 9999-12-31 is outside"),
    ("a phase in 1999", dumped(phases__0__start="1999-12-31"), "phases[0].start: 1999-12-31 is outside"),
    ("a holiday in year 1", dumped(calendar_overrides={"holidays": ["0001-01-01"]}), "calendar_overrides.holidays[0]:"),
]


@pytest.mark.parametrize(("case", "text", "expected"), BAD_TEXTS, ids=[c[0] for c in BAD_TEXTS])
def test_hostile_plans_are_refused_in_one_line(tmp_path: Path, case: str, text: str, expected: str) -> None:
    code, out, err = check_text(tmp_path, text)
    assert code == 2 and out == "", (case, err)
    assert expected in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_long_include_chain_is_checked_without_recursion(tmp_path: Path) -> None:
    data = plan_data()
    data["lists"] += [{"id": f"l{n}", "includes": [f"l{n + 1}"]} for n in range(3000)] + [{"id": "l3000"}]
    assert check_text(tmp_path, yaml.safe_dump(data))[0] == 0


def test_a_long_include_cycle_names_its_lists(tmp_path: Path) -> None:
    data = plan_data()
    data["lists"] += [{"id": f"l{n}", "includes": [f"l{(n + 1) % 3000}"]} for n in range(3000)]
    code, _, err = check_text(tmp_path, yaml.safe_dump(data))
    assert code == 2 and "lists[2].includes: list 'l0' includes itself" in err and "Traceback" not in err


def test_a_calendar_gap_of_many_years_is_one_short_line(tmp_path: Path) -> None:
    code, _, err = check_text(tmp_path, dumped(campaign__end="2100-12-31"))
    assert code == 2 and "no official calendar for 2027–2100;" in err


def test_yaml_anchors_may_override_merged_keys(tmp_path: Path) -> None:
    text = SMALL.replace(
        "  - {id: c2, name: 社区二, contact: {name: 联系人二, email: c2@t.example},",
        "  - {id: c2, name: 社区二, contact: &who {name: 联系人二, email: c2@t.example},",
    )
    text = text.replace("head: {name: 书记二, email: c2.head", "head: {<<: *who, name: 书记二, email: c2.head")
    assert check_text(tmp_path, text)[0] == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_as_a_plan_file_give_only_plan_errors(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.yaml"
        path.write_bytes(data)
        try:
            load_plan(path)
        except PlanError as error:
            assert error.problems and all(line.startswith(str(path)) for line in error.problems)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(SMALL) - 1), st.integers(1, 40), st.text(max_size=20))
def test_mangled_plan_text_gives_only_plan_errors(at: int, cut: int, insert: str) -> None:
    from models.plan.checks import parse_plan

    try:
        parse_plan(SMALL[:at] + insert + SMALL[at + cut :])
    except PlanError as error:
        assert error.problems


# Settings and the database: every command, one line naming the variable.

COMMANDS = [["status"], ["plan", "load"], ["db", "upgrade"], ["record", "rows.csv"], ["trigger", "pilot"]]


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GREENCOMM_PLAN", str(SMALL_PLAN))
    monkeypatch.setenv("GREENCOMM_VAR_DIR", str(tmp_path / "var"))
    return tmp_path


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_a_bad_setting_names_its_variable_in_every_command(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("GREENCOMM_SMTP_PORT", "notaport")
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("GREENCOMM_SMTP_PORT: ") and "'notaport'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GREENCOMM_SMTP_SECURITY=ssl", "GREENCOMM_SMTP_SECURITY: Input should be 'none', 'starttls' or 'tls'"),
        ("GREENCOMM_SINK_PORT=70000", "GREENCOMM_SINK_PORT: Input should be less than or equal to 65535"),
        ("GREENCOMM_SMTP_TIMEOUT=soon", "GREENCOMM_SMTP_TIMEOUT: Input should be a valid number"),
        ("GREENCOMM_DATABASE_URL=nonsense", "GREENCOMM_DATABASE_URL: 'nonsense' is not a usable database URL"),
        ("GREENCOMM_DATABASE_URL=nosuchdb://x", "GREENCOMM_DATABASE_URL: 'nosuchdb://x' is not a usable"),
        ("GREENCOMM_DATABASE_URL=sqlite:////proc/none/x.db", "GREENCOMM_DATABASE_URL: 'sqlite:////proc/none/x.db'"),
    ],
)
def test_a_bad_dot_env_line_is_named(clean_env: Path, line: str, expected: str) -> None:
    (clean_env / ".env").write_text(line + "\n", encoding="utf-8")
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2 and result.stderr.startswith(expected), result.output


def test_an_unreachable_database_is_one_line_with_the_password_masked(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.ports import free_port

    port = free_port("127.0.0.1")
    monkeypatch.setenv("GREENCOMM_DATABASE_URL", f"postgresql://gc:hunter2@127.0.0.1:{port}/x")
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"database postgresql+psycopg://gc:***@127.0.0.1:{port}/x: cannot connect (")
    assert "hunter2" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_the_installed_command_names_a_bad_setting_without_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(GREENCOMM), "db", "upgrade"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "GREENCOMM_SMTP_PORT": "notaport", "GREENCOMM_VAR_DIR": str(tmp_path)},
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("GREENCOMM_SMTP_PORT: ")


def test_plan_check_needs_no_settings(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENCOMM_SMTP_PORT", "notaport")
    assert runner.invoke(app, ["plan", "check", str(write_plan(clean_env, plan_data()))]).exit_code == 0
