"""Escalation's reads and its one write (SPEC §4). Reads give plain column rows, as many as the day's notices
rather than the open assignments: the stored-notice check runs in SQL (NOT EXISTS on the (campaign, key)
index), and no statement carries more parameters than the databases allow (SQLite 32,766, PostgreSQL 65,535)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any, NamedTuple, TypedDict

from sqlalchemy import ColumnElement, Executable, String, case, cast, literal, select
from sqlmodel import Session, col

from models import tables
from models.engine.stages import Moved
from models.vocabulary import ASSIGNED, ASSIGNMENT_PREFIX, ClaimStatus, ExtensionStatus, NoticeKey
from tasks.db import dialect_insert, in_chunks
from tasks.engine.open_work import OpenWork

GROUPS_PER_STATEMENT = 2_000  # (item, due day) cases per statement: three parameters each


class WorkRow(NamedTuple):
    """An open assignment as escalation reads it."""

    id: int
    item_id: str
    assignee: str
    occurrence: int
    due: date


class NoticeRow(TypedDict):
    """A notice's columns but its id, as escalation stores them (executemany)."""

    campaign_id: str
    key: str
    phase_id: str
    day: date
    item_id: str
    assignee: str | None
    assignment_id: int | None
    target_id: str | None
    stage: str
    cycle: int
    recipients: list[str]
    roles: dict[str, list[str]]
    overdue_days: int
    due: date | None
    outbox_done: bool


_COLUMNS = (
    col(tables.Assignment.id),
    col(tables.Assignment.item_id),
    col(tables.Assignment.assignee),
    col(tables.Assignment.occurrence),
    col(tables.Assignment.due),
)


def due_groups(session: Session, work: OpenWork) -> list[tuple[str, date]]:
    """The distinct (item, due day) pairs among the open assignments: one GROUP BY."""
    a = tables.Assignment
    rows = _rows(session, select(col(a.item_id), col(a.due)).where(*work.where()).group_by(col(a.item_id), col(a.due)))
    return [(item_id, due) for item_id, due in rows]


def lacking_handover(session: Session, work: OpenWork) -> Iterator[WorkRow]:
    """Open assignments whose 交办 (key a<id>/assigned/0) is not stored."""
    suffix = literal(NoticeKey.suffix(None, ASSIGNED), String)
    statement = select(*_COLUMNS).where(*work.where(), ~_stored(work.campaign_id, suffix))
    yield from (WorkRow._make(row) for row in _rows(session, statement))


def lacking_stage(session: Session, work: OpenWork, suffixes: dict[tuple[str, date], str]) -> Iterator[WorkRow]:
    """Open assignments of these (item, due day) pairs whose notice (key a<id><suffix>) is not stored."""
    a = tables.Assignment
    pairs = sorted(suffixes.items())
    for start in range(0, len(pairs), GROUPS_PER_STATEMENT):
        whens = [
            ((col(a.item_id) == item_id) & (col(a.due) == due), literal(suffix, String))
            for (item_id, due), suffix in pairs[start : start + GROUPS_PER_STATEMENT]
        ]
        suffix_of = case(*whens, else_=None)
        statement = select(*_COLUMNS).where(
            *work.where(), suffix_of.is_not(None), ~_stored(work.campaign_id, suffix_of)
        )
        yield from (WorkRow._make(row) for row in _rows(session, statement))


def _stored(campaign_id: str, suffix: ColumnElement[str]) -> Any:
    """EXISTS a notice keyed 'a' || assignment.id || suffix (correlated with the outer assignment row)."""
    n = tables.Notice
    key = literal(ASSIGNMENT_PREFIX, String) + cast(col(tables.Assignment.id), String) + suffix
    return select(col(n.id)).where(col(n.campaign_id) == campaign_id, col(n.key) == key).exists()


def rows_by_id(session: Session, work: OpenWork, ids: Iterable[int]) -> list[WorkRow]:
    """These assignments, if open."""
    a = tables.Assignment
    found = []
    for chunk in in_chunks(ids):
        statement = select(*_COLUMNS).where(*work.where(), col(a.id).in_(chunk))
        found += [WorkRow._make(row) for row in _rows(session, statement)]
    return found


def stored_keys(session: Session, campaign_id: str, keys: Iterable[str]) -> set[str]:
    """Which of these notice keys are stored."""
    n = tables.Notice
    stored: set[str] = set()
    for chunk in in_chunks(keys):
        stored |= {
            key
            for (key,) in _rows(
                session, select(col(n.key)).where(col(n.campaign_id) == campaign_id, col(n.key).in_(chunk))
            )
        }
    return stored


def store_notices(session: Session, rows: list[NoticeRow]) -> None:
    """INSERT … ON CONFLICT DO NOTHING as one prepared statement run over all rows (executemany): a run racing
    this one never duplicates a notice, and no statement grows with the number of rows."""
    if not rows:
        return
    statement = dialect_insert(session, tables.Notice).on_conflict_do_nothing(index_elements=["campaign_id", "key"])
    session.flush()
    session.connection().execute(statement, rows)


def held_by_claims(session: Session, campaign_id: str, day: date) -> set[int]:
    """Assignments with a claim pending on `day`: no reminder or overdue notice while it waits."""
    c = tables.Claim
    rows = _rows(
        session,
        select(col(c.assignment_id), col(c.status), col(c.decided_on)).where(
            col(c.campaign_id) == campaign_id, col(c.day) <= day
        ),
    )
    return {
        assignment_id
        for assignment_id, status, decided_on in rows
        if status == ClaimStatus.PENDING or (decided_on is not None and decided_on > day)
    }


def approved_moves(session: Session, campaign_id: str) -> dict[int, list[Moved]]:
    """The campaign's approved extensions by assignment, oldest first."""
    e = tables.Extension
    rows = _rows(
        session,
        select(col(e.assignment_id), col(e.day), col(e.previous_due), col(e.new_due))
        .where(col(e.campaign_id) == campaign_id, col(e.status) == ExtensionStatus.APPROVED)
        .order_by(col(e.day), col(e.id)),
    )
    moves: dict[int, list[Moved]] = defaultdict(list)
    for assignment_id, day, previous_due, new_due in rows:
        moves[assignment_id].append(Moved(day, previous_due, new_due))
    return moves


def _rows(session: Session, statement: Executable) -> Iterator[tuple[Any, ...]]:
    """Plain column rows, after the session's pending changes are flushed (as session.exec would)."""
    session.flush()
    yield from (tuple(row) for row in session.connection().execute(statement))
