"""The command line (SPEC §5): record, status, simulate; bad input exits 2 naming the row, writing nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import select
from typer.testing import CliRunner

from deployments.cli import app
from models import tables
from models.settings import Settings
from tasks.db import session_scope
from tests.conftest import SMALL_PLAN

runner = CliRunner()
HEADER = "date,action,assignee,target,value\n"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.setenv("GREENCOMM_DATABASE_URL", database_url)
    monkeypatch.setenv("GREENCOMM_PLAN", str(SMALL_PLAN))
    monkeypatch.setenv("GREENCOMM_VAR_DIR", str(tmp_path / "var"))
    return tmp_path


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def status_json() -> dict[str, object]:
    code, out, _ = invoke("status", "--json", "--as-of", "2022-01-20")
    assert code == 0
    data: dict[str, object] = json.loads(out)
    return data


def test_record_applies_a_csv_and_status_shows_it(env: Path) -> None:
    rows = env / "rows.csv"
    rows.write_text(
        HEADER + "2022-01-05,assess,community:c1,1,met\n2022-01-06,assess,community:c1,2,0.28\n", encoding="utf-8"
    )
    assert invoke("record", str(rows))[0] == 0
    targets = status_json()["targets"]
    assert [(t["id"], t["state"], t["label"]) for t in targets] == [("pilot-t", "open", "进行中")]  # type: ignore[attr-defined]
    matrix = status_json()["standards"]
    assert matrix == {
        "c1": {"1": "met", "2": "unmet"},
        "c2": {"1": "none", "2": "none"},
        "c3": {"1": "none", "2": "none"},
    }


def test_record_reads_xlsx_too(env: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (HEADER.strip().split(","), ["2022-01-05", "select", "community:c2", "pilot", ""]):
        sheet.append(row)
    book.save(env / "rows.xlsx")
    assert invoke("record", str(env / "rows.xlsx"))[0] == 0
    with session_scope(Settings().database_url) as session:
        members = session.exec(select(tables.ListMember)).all()
    assert [(m.list_id, m.community_id, m.since.isoformat()) for m in members] == [("pilot", "c2", "2022-01-05")]


def test_bad_rows_exit_2_with_row_numbers_and_nothing_is_written(env: Path) -> None:
    rows = env / "rows.csv"
    rows.write_text(
        HEADER + "2022-01-05,assess,community:c1,1,met\n"
        "2022-01-32,assess,community:c1,1,met\n"
        "2022-01-05,assess,community:c9,1,met\n"
        "2022-01-05,complete,community:c1,pilot.meet,\n"
        "2022-01-05,assess,community:c1,2,lots\n",
        encoding="utf-8",
    )
    code, _, err = invoke("record", str(rows))
    assert code == 2 and "Traceback" not in err
    where = ["row 3 (cell A3)", "row 4 (cell C4)", "row 5 (cell D5)", "row 6 (cell E6)"]
    assert [line.split(": ")[1] for line in err.strip().splitlines()] == where
    matrix = status_json()["standards"]
    assert matrix["c1"] == {"1": "none", "2": "none"}  # type: ignore[index]


def test_claims_and_extensions_the_assignments_refuse_exit_2_naming_the_row(env: Path) -> None:
    rows = env / "rows.csv"
    rows.write_text(
        HEADER + "2022-01-05,assess,community:c1,1,met\n"
        "2022-01-05,claim,community:c1,pilot.plan,\n"
        "2022-01-06,extend,community:c2,pilot.plan,2022-02-30\n",
        encoding="utf-8",
    )
    code, _, err = invoke("record", str(rows))
    assert code == 2 and "Traceback" not in err
    assert "row 4 (cell E4): value: the new due day '2022-02-30' is not a date (" in err
    rows.write_text(HEADER + "2022-01-05,assess,community:c1,1,met\n2022-01-05,claim,community:c1,pilot.plan,\n")
    code, _, err = invoke("record", str(rows))
    assert code == 2 and "Traceback" not in err
    assert err.strip().endswith(
        "row 3: claim pilot.plan for community:c1: no open assignment of pilot.plan for community:c1"
    )
    assert status_json()["standards"]["c1"] == {"1": "none", "2": "none"}  # type: ignore[index]  # nothing kept


def test_a_file_without_the_header_is_refused(env: Path) -> None:
    rows = env / "rows.csv"
    rows.write_text("when,what\n2022-01-05,x\n", encoding="utf-8")
    code, _, err = invoke("record", str(rows))
    assert code == 2 and "row 1: the header must be date,action,assignee,target,value" in err


def simulate_to_sink(tmp_path: Path, last: str, *extra: str) -> int:
    """`greencomm simulate` of the small plan from 2022-01-04, report and .eml files under tmp_path."""
    code, _, _ = invoke(
        "simulate",
        str(SMALL_PLAN),
        "--from",
        "2022-01-04",
        "--to",
        last,
        "--report",
        str(tmp_path / "report.json"),
        "--sink",
        str(tmp_path / "mail"),
        *extra,
    )
    return code


def test_simulate_writes_a_report_and_delivers_to_a_sink(tmp_path: Path) -> None:
    assert simulate_to_sink(tmp_path, "2022-01-18") == 0
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert set(data) >= {"notices", "emails", "assignments", "targets"}
    assert len(list((tmp_path / "mail").glob("*.eml"))) == len(data["emails"]) > 0


def test_simulate_exits_1_when_mail_cannot_be_delivered(tmp_path: Path) -> None:
    from tests.ports import free_port

    code, _, err = invoke(
        "simulate",
        str(SMALL_PLAN),
        "--from",
        "2022-01-10",
        "--to",
        "2022-01-11",
        "--smtp",
        f"127.0.0.1:{free_port('127.0.0.1')}",
        "--report",
        str(tmp_path / "r.json"),
    )
    assert code == 1 and "undelivered" in err


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2022-13-01", "--to", "2022-01-11"],
        ["--from", "2022-01-11", "--to", "2022-01-01"],
        ["--from", "2022-01-04", "--to", "2022-01-11", "--smtp", "nohost"],
    ],
)
def test_simulate_refuses_bad_options(args: list[str]) -> None:
    code, _, err = invoke("simulate", str(SMALL_PLAN), *args)
    assert code == 2 and "Traceback" not in err


ROSTER = "id,name,contact_name,contact_email,head_name,head_email\n"


def test_a_roster_import_replaces_the_communities_and_survives_a_plan_reload(env: Path) -> None:
    roster = env / "roster.csv"
    roster.write_text(
        ROSTER + "q1,青阳一,张三,zs@q.example,李四,ls@q.example\nq2,青阳二,王五,ww@q.example,赵六,zl@q.example\n",
        encoding="utf-8",
    )
    assert invoke("communities", "import", str(roster))[0] == 0
    assert invoke("plan", "load")[0] == 0
    assert list(status_json()["standards"]) == ["q1", "q2"]  # type: ignore[call-overload]


def test_a_bad_roster_names_each_row_and_changes_nothing(env: Path) -> None:
    roster = env / "roster.csv"
    roster.write_text(
        ROSTER + "q1,青阳一,张三,zs@q.example,李四,ls@q.example\nq1,重复,王五,not-an-address,赵六,zl@q.example\n",
        encoding="utf-8",
    )
    code, _, err = invoke("communities", "import", str(roster))
    assert code == 2
    assert "row 3: id: duplicate id 'q1'" in err and "row 3: contact.email: not a valid e-mail" in err
    assert list(status_json()["standards"]) == ["c1", "c2", "c3"]  # type: ignore[call-overload]


def test_a_standards_digest_names_the_standards_still_unmet(tmp_path: Path) -> None:
    import email
    import email.policy

    events = tmp_path / "events.csv"
    events.write_text(
        HEADER + "2022-01-05,select,community:c2,pilot,\n2022-01-06,assess,community:c2,1,met\n", encoding="utf-8"
    )
    code = simulate_to_sink(tmp_path, "2022-01-31", "--events", str(events))
    assert code == 0
    bodies = []
    for path in sorted((tmp_path / "mail").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        plain = message.get_body(("plain",))
        if "c2@t.example" in str(message["To"]) and plain is not None and "达标" in plain.get_content():
            bodies.append(plain.get_content())
    assert bodies and all("标准2（物业覆盖）：未评估" in body for body in bodies)
    assert "标准1（有机制）" not in bodies[-1]  # met on 01-06
