"""`greencomm workbook`: an office's or a community's own workbook to fill in, and reading it back for `record`."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from models import tables
from models.engine import labels_of, latest_marks
from models.mail import cn_date
from models.plan import Plan
from models.records.progress import ProgressError, ProgressRow, parse_rows
from models.records.workbook import (
    FILL_COLUMNS,
    HELP_SHEET,
    ITEM_HEADER,
    ITEMS_SHEET,
    MARKER,
    META_SHEET,
    SHEET_ACTION,
    STANDARD_HEADER,
    STANDARDS_SHEET,
    VALUES,
    VERSION,
    Locked,
    cell_text,
    changed_cells,
    checksum,
    progress_row,
)
from models.vocabulary import AssigneeKey
from tasks.engine import assessment_marks
from tasks.records.sheets import check_unpacked
from tasks.reports import DATE_FORMAT, save_atomically

HELP = [
    "1. 在“日期”“操作”“值”三列填写进展，每行一条；灰色单元格已锁定，请勿修改。",
    "2. 事项：办结后填写办结日期，操作选“办结”。",
    "3. 标准：评估后填写评估日期，操作选“评估”，值选“达标”或“未达标”；按比例考核的标准填写比例，如0.35。",
    "4. 填好后交回领导小组办公室录入；本表的锁定内容被改动将无法录入。",
]


def open_items(session: Session, plan: Plan, assignee: str, day: date) -> list[tables.Assignment]:
    """The assignee's open `task` assignments (the ones a report completes), one per item, earliest first."""
    tasks = {i.id for _, i in plan.items() if i.kind == "task"}
    rows = session.exec(
        select(tables.Assignment)
        .where(
            tables.Assignment.campaign_id == plan.campaign.id,
            tables.Assignment.assignee == assignee,
            tables.Assignment.assigned_on <= day,
        )
        .order_by(col(tables.Assignment.due), col(tables.Assignment.occurrence))
    )
    first: dict[str, tables.Assignment] = {}
    for a in rows:
        if a.item_id in tasks and (a.completed_on is None or a.completed_on > day):
            first.setdefault(a.item_id, a)
    return list(first.values())


def make_workbook(session: Session, plan: Plan, assignee: str, day: date, path: Path) -> dict[str, int]:
    """Write the assignee's workbook; returns the rows of each data sheet."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    titles = {i.id: i.label for _, i in plan.items()}
    items = [[a.item_id, titles.get(a.item_id, a.item_id), a.due] for a in open_items(session, plan, assignee, day)]
    sheets: dict[str, list[list[Any]]] = {ITEMS_SHEET: items}
    who = AssigneeKey.parse(assignee)
    if who.is_community:
        latest = latest_marks(assessment_marks(session, plan.campaign.id, [who.ref]).get(who.ref, []), day)
        sheets[STANDARDS_SHEET] = [
            [s.id, s.text, _current(latest[s.id].value) if s.id in latest else "未评估"] for s in plan.standards
        ]
    locked: list[Locked] = []
    for title, rows in sheets.items():
        header = ITEM_HEADER if title == ITEMS_SHEET else STANDARD_HEADER
        locked += _data_sheet(book.create_sheet(title), header, rows, plan)
    _help_sheet(book.create_sheet(HELP_SHEET), plan, assignee, day)
    _meta_sheet(book.create_sheet(META_SHEET), plan.campaign.id, assignee, day, locked)
    book.security.lockStructure = True  # no renaming, moving or unhiding sheets
    save_atomically(book, path)
    return {title: len(rows) for title, rows in sheets.items()}


def _current(value: str) -> str:
    return {"met": "达标", "unmet": "未达标"}.get(value, value)


def _data_sheet(sheet: Any, header: tuple[str, ...], rows: list[list[Any]], plan: Plan) -> list[Locked]:
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    grey = PatternFill("solid", fgColor="EEEEEE")
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), grey
    last = len(rows) + 1
    for number in range(2, last + 1):
        sheet.cell(number, 1).fill = sheet.cell(number, 2).fill = sheet.cell(number, 3).fill = grey
        if isinstance(sheet.cell(number, 3).value, date):
            sheet.cell(number, 3).number_format = DATE_FORMAT
        for column in FILL_COLUMNS:
            sheet[f"{column}{number}"].protection = Protection(locked=False)
        sheet[f"D{number}"].number_format = DATE_FORMAT
    if rows:
        day = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True)
        day.error, day.prompt = "请填写日期，如2022-03-01", "办结或评估的日期"
        action = DataValidation(type="list", formula1=f'"{SHEET_ACTION[sheet.title]}"', allow_blank=True)
        for validation in (day, action):
            validation.showErrorMessage = validation.showInputMessage = True
            sheet.add_data_validation(validation)
        day.add(f"D2:D{last}")
        action.add(f"E2:E{last}")
        if sheet.title == STANDARDS_SHEET:
            _value_validations(sheet, plan, last)
    for column, width in zip("ABCDEF", (10, 60, 12, 12, 8, 10), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    sheet.protection.sheet = True  # locked cells stay as written; D-F are open
    cells = list(sheet[1]) + [c for row in sheet.iter_rows(min_row=2) for c in row[:3]]  # headers, ids, texts
    return [Locked(sheet.title, c.coordinate, cell_text(c.value)) for c in cells]


def _value_validations(sheet: Any, plan: Plan, last: int) -> None:
    """达标 / 未达标 from a list; a measured standard takes its number (0 to 1) instead."""
    from openpyxl.worksheet.datavalidation import DataValidation

    words = DataValidation(type="list", formula1='"' + ",".join(VALUES) + '"', allow_blank=True)
    number = DataValidation(type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True)
    number.error, number.prompt = "按比例考核：填写0到1之间的数，如0.35", "按比例考核：填写比例，如0.35"
    for validation in (words, number):
        validation.showErrorMessage = validation.showInputMessage = True
        sheet.add_data_validation(validation)
    measured = {s.id for s in plan.standards if s.measure is not None}
    for row in range(2, last + 1):
        (number if sheet.cell(row, 1).value in measured else words).add(f"F{row}")


def _help_sheet(sheet: Any, plan: Plan, assignee: str, day: date) -> None:
    name = labels_of(plan).get(assignee, assignee)
    sheet.append([f"{plan.campaign.name} · {name} 工作台账（{cn_date(day)}制表）"])
    for line in HELP:
        sheet.append([line])
    sheet.column_dimensions["A"].width = 100
    sheet.protection.sheet = True


def _meta_sheet(sheet: Any, campaign: str, assignee: str, day: date, locked: list[Locked]) -> None:
    made_on = day.isoformat()
    sheet.append([MARKER, VERSION])
    sheet.append(["campaign", campaign])
    sheet.append(["assignee", assignee])
    sheet.append(["made_on", made_on])
    sheet.append(["checksum", checksum(campaign, assignee, made_on, locked)])
    for cell in locked:
        sheet.append([cell.sheet, cell.cell, cell.value])
    sheet.sheet_state = "veryHidden"
    sheet.protection.sheet = True


def is_assignee_workbook(path: Path) -> bool:
    """A workbook greencomm made (it has the hidden `_greencomm` sheet), as opposed to a sheet of rows.

    ProgressError for a workbook too large to open at all (SPEC §5).
    """
    if path.suffix.lower() != ".xlsx" or not zipfile.is_zipfile(path):
        return False
    check_unpacked(path)
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return False  # read_rows then says what is wrong with the file
    try:
        return META_SHEET in book.sheetnames
    finally:
        book.close()


def read_workbook(path: Path, plan: Plan) -> list[ProgressRow]:
    """The filled-in lines as checked progress rows; ProgressError names every changed cell or bad line."""
    from openpyxl import load_workbook

    check_unpacked(path)
    book = load_workbook(path)
    meta = [[cell_text(v) for v in row] for row in book[META_SHEET].iter_rows(values_only=True)]
    head = {row[0]: row[1] for row in meta[1:5] if len(row) > 1}
    campaign, assignee, made_on = head.get("campaign", ""), head.get("assignee", ""), head.get("made_on", "")
    locked = [Locked(*row[:3]) for row in meta[5:] if len(row) >= 3]
    if meta[0][:2] != [MARKER, str(VERSION)] or checksum(campaign, assignee, made_on, locked) != head.get("checksum"):
        raise ProgressError([f"{path}: sheet {META_SHEET}: changed; make a new workbook with greencomm workbook"])
    if campaign != plan.campaign.id:
        raise ProgressError([f"{path}: this workbook belongs to another campaign ({campaign})"])
    current = {
        (c.sheet, c.cell): cell_text(book[c.sheet][c.cell].value) if c.sheet in book.sheetnames else "" for c in locked
    }
    if problems := changed_cells(locked, current):
        raise ProgressError(problems)
    rows, problems = [], []
    for title in (ITEMS_SHEET, STANDARDS_SHEET):
        raw = _filled(book, title, assignee, locked)
        try:
            rows += parse_rows(raw, plan, columns={})  # rows here are laid out as the sheet shows them
        except ProgressError as error:
            problems += [f"Sheet {title}, {line}" for line in error.problems]
    if problems:
        raise ProgressError(problems)
    return rows


def _filled(book: Any, title: str, assignee: str, locked: list[Locked]) -> list[tuple[int, dict[str, str]]]:
    """Each filled-in line of a data sheet as (row number, progress row); only rows greencomm laid out."""
    numbers = sorted({int(c.cell[1:]) for c in locked if c.sheet == title and c.cell.startswith("A")} - {1})
    raw = []
    for number in numbers:
        sheet = book[title]
        filled = tuple(sheet[f"{column}{number}"].value for column in FILL_COLUMNS)
        row = progress_row(title, assignee, cell_text(sheet[f"A{number}"].value), filled)
        if row is not None:
            raw.append((number, row))
    return raw
