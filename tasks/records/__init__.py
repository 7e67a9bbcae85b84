"""Reading progress files, rosters and assignees' workbooks, and applying their rows."""

from tasks.records.progress import CHUNK, apply_rows, read_rows
from tasks.records.sheets import read_table
from tasks.records.workbook import is_assignee_workbook, make_workbook, read_workbook

__all__ = [
    "CHUNK",
    "apply_rows",
    "is_assignee_workbook",
    "make_workbook",
    "read_rows",
    "read_table",
    "read_workbook",
]
