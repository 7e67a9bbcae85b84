"""An assignee's workbook (台账): its layout, the words in its drop-downs, and how it is checked on return.

A workbook greencomm makes carries a very hidden sheet `_greencomm`: a marker, the campaign, the assignee,
the day it was made, and a snapshot of every locked cell (sheet, cell, value) with a SHA-256 checksum of that
snapshot. `record` recognises the workbook by that sheet, refuses it if the snapshot's checksum does not
match (the hidden sheet was edited) or if any locked cell differs from its snapshot (naming the cell), and
reads only the cells left open for filling in.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

META_SHEET = "_greencomm"
MARKER = "greencomm-workbook"
VERSION = 1
ITEMS_SHEET, STANDARDS_SHEET, HELP_SHEET = "事项", "标准", "填写说明"

# What a person picks in the drop-downs, and the progress-row words they stand for.
ACTIONS = {"办结": "complete", "评估": "assess"}
VALUES = {"达标": "met", "未达标": "unmet"}
SHEET_ACTION = {ITEMS_SHEET: "办结", STANDARDS_SHEET: "评估"}

# Columns of both data sheets: the locked ones first, then what the assignee fills in.
ITEM_HEADER = ("事项编号", "事项", "截止日期", "日期", "操作", "值")
STANDARD_HEADER = ("标准编号", "创建标准", "目前评估", "日期", "操作", "值")
FILL_COLUMNS = ("D", "E", "F")  # date, action, value


@dataclass(frozen=True)
class Locked:
    sheet: str
    cell: str  # A1-style
    value: str  # canonical text (cell_text)


def cell_text(value: object) -> str:
    """A cell as text, the same whether openpyxl reads a date, a number or a string."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def checksum(campaign: str, assignee: str, made_on: str, locked: list[Locked]) -> str:
    payload = [campaign, assignee, made_on, [[c.sheet, c.cell, c.value] for c in locked]]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def changed_cells(locked: list[Locked], current: dict[tuple[str, str], str]) -> list[str]:
    """One line per locked cell whose value is not what greencomm wrote."""
    return [
        f"Sheet {c.sheet}, cell {c.cell}: locked cell changed (was {c.value!r}, now {current.get((c.sheet, c.cell))!r})"
        for c in locked
        if current.get((c.sheet, c.cell), "") != c.value
    ]


def progress_row(
    sheet: str, assignee: str, target: str, filled: tuple[object, object, object]
) -> dict[str, str] | None:
    """The progress row (date, action, assignee, target, value) a filled-in line stands for; None if blank.

    The action may be left empty: the sheet says what it is (事项: 办结, 标准: 评估)."""
    day, action, value = (cell_text(v) for v in filled)
    if not (day or action or value):
        return None
    action = action or SHEET_ACTION[sheet]
    return {
        "date": day,
        "action": ACTIONS.get(action, action),
        "assignee": assignee,
        "target": target,
        "value": VALUES.get(value, value),
    }
