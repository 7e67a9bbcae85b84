"""Reading progress files (CSV or XLSX) and applying their rows in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import TypedDict

from sqlmodel import Session, col, select

from models import tables
from models.records.progress import DECISIONS, HEADER, ProgressError, ProgressRow, repeated_completions
from models.vocabulary import ref_of
from tasks.approvals import apply_decisions
from tasks.db import insert_ignoring_duplicates
from tasks.records.sheets import read_table
from tasks.store import record_audit


def read_rows(path: Path, header: tuple[str, ...] = HEADER) -> list[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it, cells by header) for every non-empty data row."""
    return read_table(path, header).rows


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
    if problems := repeated_completions(rows, _recorded_completions(session, campaign_id, rows)):
        raise ProgressError(problems)  # before anything is written: the caller's transaction stays empty
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


class NewMember(TypedDict):
    """A list membership as `select` rows insert it (executemany)."""

    campaign_id: str
    list_id: str
    community_id: str
    since: date


def _store(session: Session, campaign_id: str, rows: list[ProgressRow]) -> None:
    members: list[NewMember] = [
        {"campaign_id": campaign_id, "list_id": r.target, "community_id": ref_of(r.assignee), "since": r.day}
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
                    community_id=ref_of(row.assignee),
                    standard_id=int(row.target),
                    day=row.day,
                    value=row.value,
                )
            )


def _recorded_completions(session: Session, campaign_id: str, rows: list[ProgressRow]) -> set[tuple[str, str, date]]:
    """(item, assignee, day) of the completion reports already stored on the days these rows name."""
    days = sorted({row.day for row in rows if row.action == "complete"})
    found: set[tuple[str, str, date]] = set()
    for start in range(0, len(days), CHUNK):
        query = select(tables.CompletionReport).where(
            tables.CompletionReport.campaign_id == campaign_id,
            col(tables.CompletionReport.day).in_(days[start : start + CHUNK]),
        )
        found.update((r.item_id, r.assignee, r.day) for r in session.exec(query))
    return found
