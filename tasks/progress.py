"""Reading progress files (CSV or XLSX) and applying their rows in one transaction."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from models import tables
from models.progress import DECISIONS, HEADER, ProgressError, ProgressRow
from tasks.decision_rows import apply_decisions
from tasks.store import record_audit
from tasks.work import insert_ignoring_duplicates


def read_rows(path: Path, header: tuple[str, ...] = HEADER) -> list[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it, cells by header) for every non-empty data row."""
    try:
        table = _xlsx_rows(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _csv_rows(path)
    except (OSError, UnicodeDecodeError, csv.Error, ValueError, KeyError) as error:
        raise ProgressError([f"{path}: cannot read ({error.__class__.__name__}: {error})"]) from None
    width = len(header)
    if not table or tuple(cell.strip().lower() for cell in table[0][:width]) != header:
        raise ProgressError([f"{path}: row 1: the header must be {','.join(header)}"])
    return [
        (number, dict(zip(header, cells + [""] * width, strict=False)))
        for number, cells in enumerate(table[1:], start=2)
        if any(c.strip() for c in cells)
    ]


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


CHUNK = 500


def apply_rows(
    session: Session,
    campaign_id: str,
    rows: Iterable[ProgressRow],
    *,
    actor: str,
    now: datetime,
    source: str,
    advance: Callable[[str], None] = lambda _text: None,
) -> int:
    """Store the rows as reports, memberships and assessments (all or nothing: the caller's transaction)."""
    rows = sorted(rows, key=lambda r: (r.day, r.row))  # the earliest selection of a community counts
    for start in range(0, len(rows), CHUNK):
        _store(session, campaign_id, rows[start : start + CHUNK])
        advance(f"{min(start + CHUNK, len(rows))} rows")
    decisions = [r for r in rows if r.action in DECISIONS]
    if problems := apply_decisions(session, campaign_id, decisions, actor=actor, now=now):
        raise ProgressError(problems)
    if rows:
        record_audit(
            session, campaign_id, actor=actor, action="record", detail={"source": source, "rows": len(rows)}, now=now
        )
    return len(rows)


def _store(session: Session, campaign_id: str, rows: list[ProgressRow]) -> None:
    members = [
        {"campaign_id": campaign_id, "list_id": r.target, "community_id": _ref(r), "since": r.day}
        for r in rows
        if r.action == "select"
    ]
    insert_ignoring_duplicates(session, tables.ListMember, members, ["campaign_id", "list_id", "community_id"])
    for row in rows:
        if row.action == "complete":
            session.add(
                tables.CompletionReport(campaign_id=campaign_id, item_id=row.target, assignee=row.assignee, day=row.day)
            )
        elif row.action == "assess":
            session.add(
                tables.Assessment(
                    campaign_id=campaign_id,
                    community_id=_ref(row),
                    standard_id=int(row.target),
                    day=row.day,
                    value=row.value,
                )
            )


def _ref(row: ProgressRow) -> str:
    return row.assignee.partition(":")[2]
