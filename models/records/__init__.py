"""Rows people hand in: progress rows, community rosters, workbooks, cells as spreadsheets write them."""

from models.records.limits import MAX_ROWS, TOO_MANY_ROWS, first_problems, unpacked_problem
from models.records.progress import HEADER, ProgressError, ProgressRow, parse_rows
from models.records.roster import ROSTER_HEADER, is_imported, parse_roster, with_roster

__all__ = [
    "HEADER",
    "MAX_ROWS",
    "ROSTER_HEADER",
    "TOO_MANY_ROWS",
    "ProgressError",
    "ProgressRow",
    "first_problems",
    "is_imported",
    "parse_roster",
    "parse_rows",
    "unpacked_problem",
    "with_roster",
]
