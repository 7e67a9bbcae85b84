"""Assign and check (SPEC §2): one batched read and write per step, whatever the number of communities."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from models import tables
from models.membership import Members, members_on, owners
from models.plan import Item, Plan
from models.rules import Mark, due_of, latest_marks, occurrences, share_reached_on, standards_completed_on


def list_members(session: Session, campaign_id: str) -> Members:
    """list id → {community id: day it joined}."""
    members: dict[str, dict[str, date]] = defaultdict(dict)
    for row in session.exec(select(tables.ListMember).where(tables.ListMember.campaign_id == campaign_id)):
        members[row.list_id][row.community_id] = row.since
    return members


def assign(session: Session, plan: Plan, phase_id: str, day: date) -> int:
    """Create the missing assignments of a phase for `day` if it lies in the phase window."""
    phase = plan.phase(phase_id)
    if not phase.start <= day <= min(phase.end, plan.campaign.end):
        return 0
    cid = plan.campaign.id
    members = list_members(session, cid)
    rows = [
        {
            "campaign_id": cid,
            "item_id": item.id,
            "phase_id": phase_id,
            "assignee": who,
            "occurrence": occ,
            "due": due_of(item, occ),
            "assigned_on": day,
        }
        for item in phase.items
        for who in owners(plan, item, members, day)
        for occ in occurrences(plan, item, day)
    ]
    existing = set(
        session.exec(
            select(tables.Assignment.item_id, tables.Assignment.assignee, tables.Assignment.occurrence).where(
                tables.Assignment.campaign_id == cid, tables.Assignment.phase_id == phase_id
            )
        )
    )
    rows = [r for r in rows if (r["item_id"], r["assignee"], r["occurrence"]) not in existing]
    return insert_ignoring_duplicates(
        session, tables.Assignment, rows, ["campaign_id", "item_id", "assignee", "occurrence"]
    )


MAX_PARAMETERS = 30_000


def insert_ignoring_duplicates(session: Session, table: type, rows: list[dict[str, object]], keys: list[str]) -> int:
    """INSERT … ON CONFLICT DO NOTHING: concurrent runs never duplicate a row; returns rows inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    primary_key = list(table.__table__.primary_key.columns)  # type: ignore[attr-defined]
    # a statement may carry at most 65,535 parameters on PostgreSQL and 32,766 on SQLite: insert in chunks
    chunk = max(1, MAX_PARAMETERS // len(rows[0]))
    inserted = 0
    for start in range(0, len(rows), chunk):
        values = insert(table).values(rows[start : start + chunk])
        statement = values.on_conflict_do_nothing(index_elements=keys).returning(*primary_key)
        # rowcount is -1 for this statement on PostgreSQL: count the rows it returns instead
        inserted += len(session.connection().execute(statement).all())
    return inserted


def open_assignments(session: Session, campaign_id: str, phase_id: str, day: date) -> list[tables.Assignment]:
    return list(
        session.exec(
            select(tables.Assignment)
            .where(
                tables.Assignment.campaign_id == campaign_id,
                tables.Assignment.phase_id == phase_id,
                col(tables.Assignment.completed_on).is_(None),
                tables.Assignment.assigned_on <= day,
            )
            .order_by(col(tables.Assignment.occurrence), col(tables.Assignment.id))
        )
    )


def check_completion(session: Session, plan: Plan, phase_id: str, day: date) -> int:
    """Mark open assignments done by reports, assessments or list size as of `day`; returns how many."""
    work = open_assignments(session, plan.campaign.id, phase_id, day)
    items = {i.id: i for _, i in plan.items()}
    marks = assessment_marks(session, plan.campaign.id)
    members = list_members(session, plan.campaign.id)
    reports = pending_reports(session, plan.campaign.id, day)
    done = 0
    for assignment in work:
        item = items.get(assignment.item_id)
        if item is None:
            continue
        finished = _completed_on(plan, item, assignment, day, marks, members, reports)
        if finished is not None:
            assignment.completed_on = finished
            session.add(assignment)
            done += 1
    return done


def _completed_on(
    plan: Plan,
    item: Item,
    assignment: tables.Assignment,
    day: date,
    marks: dict[str, list[tuple[int, Mark]]],
    members: Members,
    reports: dict[tuple[str, str], list[tables.CompletionReport]],
) -> date | None:
    if item.kind == "standards":
        community = assignment.assignee.partition(":")[2]
        latest = latest_marks(marks.get(community, []), day)
        return standards_completed_on(plan.standards, latest, assignment.assigned_on)
    if item.kind == "list":
        on_list = members_on(plan, members, item.list_id or "", day)
        reached = share_reached_on(on_list.values(), item.min_share or 1.0, len(plan.communities))
        return max(reached, assignment.assigned_on) if reached else None
    queue = reports.get((item.id, assignment.assignee))
    if not queue:
        return None
    report = queue.pop(0)  # the earliest report completes the earliest open occurrence
    report.assignment_id = assignment.id
    return max(report.day, assignment.assigned_on)


def assessment_marks(session: Session, campaign_id: str) -> dict[str, list[tuple[int, Mark]]]:
    """community → [(standard, mark)], every assessment recorded."""
    marks: dict[str, list[tuple[int, Mark]]] = defaultdict(list)
    rows = session.exec(select(tables.Assessment).where(tables.Assessment.campaign_id == campaign_id))
    for row in rows:
        marks[row.community_id].append((row.standard_id, Mark(row.day, row.id or 0, row.value)))
    return marks


def pending_reports(
    session: Session, campaign_id: str, day: date
) -> dict[tuple[str, str], list[tables.CompletionReport]]:
    """(item, assignee) → reports dated up to `day` not yet applied to an assignment, oldest first."""
    queues: dict[tuple[str, str], list[tables.CompletionReport]] = defaultdict(list)
    rows = session.exec(
        select(tables.CompletionReport)
        .where(
            tables.CompletionReport.campaign_id == campaign_id,
            col(tables.CompletionReport.assignment_id).is_(None),
            tables.CompletionReport.day <= day,
        )
        .order_by(col(tables.CompletionReport.day), col(tables.CompletionReport.id))
    )
    for row in rows:
        queues[(row.item_id, row.assignee)].append(row)
    return queues
