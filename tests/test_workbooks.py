"""`export` (the city's workbook) and `workbook` → fill in with openpyxl → `record` (the round trip)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import select
from typer.testing import CliRunner

from deployments.cli import app
from models import tables
from models.plan.checks import parse_plan
from tasks.day_run import run_day
from tasks.db import session_scope, upgrade
from tasks.store import sync_plan
from tests.conftest import SMALL_PLAN

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def prepared(url: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The small plan loaded and its pilot phase run on 2022-01-04 and 01-20 (assignments, notices)."""
    monkeypatch.setenv("GREENCOMM_DATABASE_URL", url)
    monkeypatch.setenv("GREENCOMM_PLAN", str(SMALL_PLAN))
    monkeypatch.setenv("GREENCOMM_VAR_DIR", str(folder / "var"))
    plan = parse_plan(SMALL_PLAN.read_text(encoding="utf-8"))
    upgrade(url)
    with session_scope(url) as session:
        sync_plan(session, plan, actor="test", now=datetime.now(UTC))
    for day in (date(2022, 1, 4), date(2022, 1, 20)):
        with session_scope(url) as session:
            run_day(session, plan, "pilot", day, mail_from="g@t.example")
    return url


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> str:
    return prepared(sqlite_url, tmp_path, monkeypatch)


def rows_of(url: str, table: Any) -> list[Any]:
    with session_scope(url) as session:
        return list(session.exec(select(table)))


def test_export_writes_the_citys_workbook(env: str, tmp_path: Path) -> None:
    with session_scope(env) as session:
        session.add(
            tables.Assessment(
                campaign_id="small-test", community_id="c1", standard_id=2, day=date(2022, 1, 5), value="0.42"
            )
        )
        session.add(
            tables.Assessment(
                campaign_id="small-test", community_id="c1", standard_id=1, day=date(2022, 1, 5), value="unmet"
            )
        )
    path = tmp_path / "city.xlsx"
    code, _, err = invoke("export", str(path), "--as-of", "2022-01-20")
    assert code == 0, err
    book = load_workbook(path)
    assert book.sheetnames == ["创建目标", "社区×2项标准", "任务清单", "已发通知", "报送材料"]
    assert all(sheet.freeze_panes in ("A2", "B2") for sheet in book.worksheets)
    matrix = book["社区×2项标准"]
    assert [c.value for c in matrix[1]] == ["社区", "标准1", "标准2", "已达标项数"]
    assert [c.value for c in matrix[2]] == ["社区一", "✗", 0.42, 1]
    tasks = book["任务清单"]
    assert [c.value for c in tasks[1]][:5] == ["阶段", "事项", "责任单位", "交办日期", "截止日期"]
    plan_row = next(r for r in tasks.iter_rows(min_row=2) if r[1].value == "制定方案" and r[2].value == "社区一")
    assert plan_row[4].value == datetime(2022, 1, 14) and plan_row[4].number_format == "yyyy-mm-dd"
    assert (plan_row[6].value, plan_row[7].value) == (4, "逾期未完成")  # 01-17 … 01-20
    notices = book["已发通知"]
    assert notices.max_row > 1 and isinstance(notices["A2"].value, datetime)
    told = [str(row[5].value) for row in notices.iter_rows(min_row=2)]
    assert any("书记一" in names for names in told)
    assert not any("@" in names for names in told)  # names, not addresses
    assert (
        book["创建目标"]["A2"].value == "30%以上的社区达到创建要求"
        and book["创建目标"]["D2"].number_format == "yyyy-mm-dd"
    )
    assert tasks.column_dimensions["B"].width == 44


def test_export_refuses_a_file_that_is_not_xlsx(env: str, tmp_path: Path) -> None:
    code, _, err = invoke("export", str(tmp_path / "city.csv"))
    assert code == 2 and "FILE.xlsx" in err and not (tmp_path / "city.csv").exists()


def made(tmp_path: Path, who: str = "community:c1") -> Path:
    path = tmp_path / "c1.xlsx"
    code, _, err = invoke("workbook", "--for", who, str(path), "--as-of", "2022-01-05")
    assert code == 0, err
    return path


def test_a_community_workbook_is_locked_but_for_what_is_filled_in(env: str, tmp_path: Path) -> None:
    book = load_workbook(made(tmp_path))
    assert book.sheetnames == ["事项", "标准", "填写说明", "_greencomm"]
    assert book["_greencomm"].sheet_state == "veryHidden"
    items, standards = book["事项"], book["标准"]
    assert [c.value for c in items[1]] == ["事项编号", "事项", "截止日期", "日期", "操作", "值"]
    assert [items.cell(r, 2).value for r in range(2, items.max_row + 1)] == ["申报", "制定方案"]
    assert items.protection.sheet and standards.protection.sheet
    assert items["A2"].protection.locked and not items["D2"].protection.locked and not items["E2"].protection.locked
    lists = {v.formula1 for v in standards.data_validations.dataValidation if v.type == "list"}
    assert lists == {'"评估"', '"达标,未达标"'}
    decimals = [str(v.sqref) for v in standards.data_validations.dataValidation if v.type == "decimal"]
    assert decimals == ["F3"]  # standard 2 is measured: a number, not 达标/未达标
    assert {v.formula1 for v in items.data_validations.dataValidation if v.type == "list"} == {'"办结"'}


def test_an_office_workbook_has_no_standards(env: str, tmp_path: Path) -> None:
    assert load_workbook(made(tmp_path, "office:works")).sheetnames == ["事项", "填写说明", "_greencomm"]


def test_workbook_refuses_an_unknown_assignee(env: str, tmp_path: Path) -> None:
    code, _, err = invoke("workbook", "--for", "community:c9", str(tmp_path / "x.xlsx"))
    assert code == 2 and "--for" in err


def fill(path: Path, **cells: dict[str, object]) -> None:
    book = load_workbook(path)
    for sheet, values in cells.items():
        for cell, value in values.items():
            book[{"items": "事项", "standards": "标准", "meta": "_greencomm"}[sheet]][cell] = value
    book.save(path)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_round_trip_make_fill_record(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    url = prepared(request.getfixturevalue(f"{backend}_url"), tmp_path, monkeypatch)
    path = made(tmp_path)
    recorded = f"{path}: 0 rows recorded for small-test (read as greencomm workbook)\n"
    assert invoke("record", str(path))[:2] == (0, recorded)  # unchanged: nothing
    fill(
        path,
        items={"D3": datetime(2022, 1, 6), "E3": "办结"},  # 制定方案
        standards={"D2": "2022-01-07", "E2": "评估", "F2": "达标", "D3": datetime(2022, 1, 7), "F3": 0.35},
    )
    code, out, err = invoke("record", str(path))
    assert code == 0, err
    assert "3 rows recorded" in out
    reports = [(r.item_id, r.assignee, r.day) for r in rows_of(url, tables.CompletionReport)]
    assert reports == [("pilot.plan", "community:c1", date(2022, 1, 6))]
    marks = sorted((a.community_id, a.standard_id, a.day, a.value) for a in rows_of(url, tables.Assessment))
    assert marks == [("c1", 1, date(2022, 1, 7), "met"), ("c1", 2, date(2022, 1, 7), "0.35")]


def test_record_refuses_a_changed_locked_cell_naming_it(env: str, tmp_path: Path) -> None:
    path = made(tmp_path)
    fill(path, standards={"B3": "物业覆盖（改）", "D2": "2022-01-07", "F2": "达标"})
    code, _, err = invoke("record", str(path))
    assert code == 2 and "Sheet 标准, cell B3: locked cell changed" in err
    assert rows_of(env, tables.Assessment) == []


def test_record_names_the_sheet_and_row_of_a_bad_line(env: str, tmp_path: Path) -> None:
    path = made(tmp_path)
    fill(path, standards={"D2": "2022-01-07", "F2": "也许"}, items={"D2": "上周", "E2": "办结"})
    code, _, err = invoke("record", str(path))
    assert code == 2
    assert "Sheet 标准, row 2: value: standard 1 takes met or unmet" in err
    assert "Sheet 事项, row 2: date: '上周' is not a date" in err
    assert rows_of(env, tables.Assessment) == [] and rows_of(env, tables.CompletionReport) == []


def test_record_refuses_an_edited_hidden_sheet(env: str, tmp_path: Path) -> None:
    path = made(tmp_path)
    fill(path, meta={"B3": "community:c2"})
    code, _, err = invoke("record", str(path))
    assert code == 2 and "_greencomm" in err
