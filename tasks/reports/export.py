"""`greencomm export`: the campaign as a workbook for the city's leading group (openpyxl, Chinese headers)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from models import tables
from models.engine import is_met, labels_of, latest_marks
from models.mail import target_title
from models.plan import Plan
from models.vocabulary import Stage, StageKind
from tasks.engine import assessment_marks
from tasks.materials import FileStore, copy_accepted, handed_in, material_sheet
from tasks.reports.report import target_lines

DATE_FORMAT = "yyyy-mm-dd"
MET, UNMET = "✓", "✗"
GREEN, RED = "E6F4EA", "FDE7E9"


def export_workbook(
    session: Session, plan: Plan, day: date, path: Path, *, files: tuple[FileStore, Path] | None = None
) -> dict[str, int]:
    """Write the five sheets as of `day` to `path` (atomically: a failed export leaves no file); rows per sheet.
    With `files` (the store and a folder), the accepted files are copied out first (SPEC §8)."""
    from openpyxl import Workbook

    handed = handed_in(session, plan, day)
    copied = copy_accepted(files[0], handed, files[1]) if files else None
    book = Workbook()
    sheets = {
        "创建目标": target_sheet(session, plan, day),
        f"社区×{len(plan.standards)}项标准": standards_sheet(session, plan, day),
        "任务清单": assignment_sheet(session, plan, day),
        "已发通知": notice_sheet(session, plan, day),
        "报送材料": material_sheet(handed),
    }
    book.remove(book.active)
    for title, (header, rows, widths) in sheets.items():
        write_sheet(book.create_sheet(title), header, rows, widths)
    save_atomically(book, path)
    counts = {title: len(rows) for title, (_, rows, _) in sheets.items()}
    return counts | ({"复制文件": copied} if copied is not None else {})


Sheet = tuple[list[str], list[list[Any]], list[int]]


def write_sheet(sheet: Any, header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[int]) -> None:
    """Bold frozen header, the given column widths, real dates shown as yyyy-mm-dd, met/unmet shaded."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        sheet.append(list(row))
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
            elif isinstance(cell.value, float):
                cell.number_format = "0%" if header[cell.column - 1] == "要求比例" else "0.00"
            elif cell.value in (MET, UNMET):
                cell.fill = PatternFill("solid", fgColor=GREEN if cell.value == MET else RED)
                cell.alignment = Alignment(horizontal="center")
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "B2" if sheet.title.startswith("社区×") else "A2"


def save_atomically(book: Any, path: Path) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".xlsx")
    os.close(handle)
    try:
        book.save(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def target_sheet(session: Session, plan: Plan, day: date) -> Sheet:
    targets = {t.id: t for t in plan.targets}
    lists = {n.id: n.name or n.id for n in plan.lists}
    rows: list[list[Any]] = []
    for line in target_lines(session, plan, day):
        target = targets[line.id]
        rows.append(
            [
                target_title(target),
                lists.get(target.list_id, target.list_id),
                target.min_share,
                line.by,
                line.required,
                line.achieved,
                line.label,
            ]
        )
    header = ["目标", "名单", "要求比例", "截止日期", "要求达标社区数", "已达标社区数", "结果"]
    return header, rows, [26, 20, 10, 12, 14, 12, 10]


def standards_sheet(session: Session, plan: Plan, day: date) -> Sheet:
    """Each community's latest assessed value per standard: the number for a measured one, else ✓ / ✗."""
    marks = assessment_marks(session, plan.campaign.id)
    rows: list[list[Any]] = []
    for community in plan.communities:
        latest = latest_marks(marks.get(community.id, []), day)
        cells: list[Any] = [community.name]
        met = 0
        for standard in plan.standards:
            mark = latest.get(standard.id)
            if mark is None:
                cells.append(None)
                continue
            met += is_met(standard, mark.value)
            if mark.value in ("met", "unmet"):
                cells.append(MET if mark.value == "met" else UNMET)
            else:
                cells.append(float(mark.value))
        rows.append([*cells, met])
    header = ["社区", *(f"标准{s.id}" for s in plan.standards), "已达标项数"]
    return header, rows, [24, *(7 for _ in plan.standards), 10]


STATE_TEXT = {
    "on-time": "按时完成",
    "late": "逾期完成",
    "open": "未完成",
    "overdue": "逾期未完成",
    "optional": "未办理（自愿事项）",
}


def assignment_sheet(session: Session, plan: Plan, day: date) -> Sheet:
    calendar, labels = plan.calendar(), labels_of(plan)
    phases = {p.id: p.name for p in plan.phases}
    titles = {i.id: i.label for _, i in plan.items()}
    optional = {i.id for _, i in plan.items() if i.optional}
    query = (
        select(tables.Assignment)
        .where(tables.Assignment.campaign_id == plan.campaign.id, tables.Assignment.assigned_on <= day)
        .order_by(col(tables.Assignment.due), col(tables.Assignment.item_id), col(tables.Assignment.assignee))
    )
    rows: list[list[Any]] = []
    for a in session.exec(query):
        done = a.completed_on if a.completed_on is not None and a.completed_on <= day else None
        late = calendar.workdays_after(a.due, done or day) if (done or day) > a.due else 0
        state = ("late" if late else "on-time") if done else ("overdue" if late else "open")
        if a.item_id in optional and not done:
            late, state = 0, "optional"  # never overdue (SPEC §4)
        rows.append(
            [
                phases.get(a.phase_id, a.phase_id),
                titles.get(a.item_id, a.item_id),
                labels.get(a.assignee, a.assignee),
                a.assigned_on,
                a.due,
                done,
                late,
                STATE_TEXT[state],
            ]
        )
    header = ["阶段", "事项", "责任单位", "交办日期", "截止日期", "完成日期", "逾期工作日", "状态"]
    return header, rows, [12, 44, 24, 12, 12, 12, 11, 11]


def stage_name(plan: Plan, name: str, cycle: int) -> str:
    """A notice's kind in words (the plan's label, else 提醒 / 催办 / 督办 …), with its repeat."""
    stage = Stage.parse(name)
    label = stage.label(plan.escalation)
    return f"{label}（第{cycle}次重复）" if cycle and stage.kind is StageKind.OVERDUE else label


def notice_sheet(session: Session, plan: Plan, day: date) -> Sheet:
    labels = labels_of(plan)
    titles = {i.id: i.label for _, i in plan.items()} | {t.id: target_title(t) for t in plan.targets}
    query = (
        select(tables.Notice)
        .where(tables.Notice.campaign_id == plan.campaign.id, tables.Notice.day <= day)
        .order_by(col(tables.Notice.day), col(tables.Notice.id))
    )
    rows: list[list[Any]] = [
        [
            n.day,
            stage_name(plan, n.stage, n.cycle),
            titles.get(n.item_id, n.item_id),
            labels.get(n.assignee or "", "全街道"),
            n.overdue_days or None,
            "、".join(sorted({person[1] for person in n.roles.values()})),
            len(n.recipients),
        ]
        for n in session.exec(query)
    ]
    header = ["日期", "通知类别", "事项", "责任单位", "逾期工作日", "收件人", "收件人数"]
    return header, rows, [12, 24, 44, 24, 11, 48, 9]
