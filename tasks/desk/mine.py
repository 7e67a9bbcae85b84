"""What a reader sees on the desk: their relation to assignments, their open items (我的事项) and one item's line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, col, select

from models import tables
from models.desk.pages import DeskLine, Lines
from models.desk.readers import Reader, Relation, assessed_communities, supervisors_of
from models.plan import Plan
from tasks.desk.actions import acknowledged_of, pending_of
from tasks.engine import assessment_marks

GROUP_ORDER = list(Relation)  # owned items first, then supervised ones, then the leading group's


def relations(
    session: Session, plan: Plan, rows: Sequence[tables.Assignment], reader: Reader, day: date
) -> list[Relation | None]:
    """The reader's relation to each row on `day`. Supervision only matters to an office's people for rows they do
    not own; the assessments that decide it (standards items) are read once for all those rows' communities."""
    asked = [a for a in rows if reader.offices and not reader.owns(a.assignee)]
    communities = assessed_communities(plan, [(a.item_id, a.assignee) for a in asked])
    marks = assessment_marks(session, plan.campaign.id, communities) if communities else {}
    items = {i.id: i for _, i in plan.items()}
    found = []
    for a in rows:
        asks = reader.offices and not reader.owns(a.assignee)
        supervisors = supervisors_of(plan, items.get(a.item_id), a.assignee, marks, day) if asks else []
        found.append(reader.relation(a.assignee, supervisors))
    return found


def my_lines(session: Session, plan: Plan, recipient: str, day: date) -> list[tuple[Relation, DeskLine]]:
    """Every open assignment the reader owns, supervises, or (leading group) oversees; owned ones first."""
    rows = session.exec(
        select(tables.Assignment)
        .where(
            tables.Assignment.campaign_id == plan.campaign.id,
            col(tables.Assignment.completed_on).is_(None),
            col(tables.Assignment.assigned_on) <= day,
        )
        .order_by(col(tables.Assignment.due), col(tables.Assignment.id))
    ).all()
    found = relations(session, plan, rows, Reader.of(plan, recipient), day)
    mine = [(relation, a) for relation, a in zip(found, rows, strict=True) if relation is not None]
    ids = [a.id for _, a in mine if a.id is not None]
    acknowledged, pending = acknowledged_of(session, ids, recipient), pending_of(session, ids)
    lines = Lines(plan, day)
    return sorted(
        (
            (relation, lines.line(a, relation, acknowledged=a.id in acknowledged, pending=pending.get(a.id or 0, [])))
            for relation, a in mine
        ),
        key=lambda pair: GROUP_ORDER.index(pair[0]),
    )


def owner_line(session: Session, plan: Plan, assignment: tables.Assignment, recipient: str, day: date) -> DeskLine:
    """One assignment as its owner's item page shows it: whether this reader signed for it, what waits."""
    assert assignment.id is not None
    acknowledged = acknowledged_of(session, [assignment.id], recipient)
    pending = pending_of(session, [assignment.id]).get(assignment.id, [])
    return Lines(plan, day).line(assignment, Relation.OWNER, acknowledged=bool(acknowledged), pending=pending)
