"""What the desk reads and writes: acknowledgements, claims and extension requests, the reader's items.

Each function takes a session and leaves committing to its caller (the desk commits per request).
Claims and extension requests go through the notices' decision functions (tasks/decisions.py, SPEC §2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import tables
from models.desk import DeskLine, Role, desk_line, role_of
from models.plan import Plan
from models.receipts import Kind, Request
from tasks.store import record_audit


@dataclass(frozen=True)
class Filed:
    """A claim or extension request as the desk filed (or found) it; `new` False when it already stood."""

    campaign: str
    kind: Kind
    id: int
    new: bool
    by: str  # who filed it: the receipt goes there


def assignment_of(session: Session, campaign_id: str, assignment_id: int) -> tables.Assignment | None:
    row = session.get(tables.Assignment, assignment_id)
    return row if row is not None and row.campaign_id == campaign_id else None


def acknowledge(session: Session, assignment: tables.Assignment, recipient: str, *, now: datetime) -> bool:
    """签收, once per (assignment, recipient); True when this call recorded it."""
    assert assignment.id is not None
    if _acknowledgement(session, assignment.id, recipient) is not None:
        return False
    try:
        with session.begin_nested():  # a second click racing the first loses quietly
            session.add(
                tables.Acknowledgement(
                    campaign_id=assignment.campaign_id, assignment_id=assignment.id, recipient=recipient, at=now
                )
            )
    except IntegrityError:
        return False
    _audit(session, assignment, "desk.ack", recipient, now)
    return True


def _acknowledgement(session: Session, assignment_id: int, recipient: str) -> tables.Acknowledgement | None:
    return session.exec(
        select(tables.Acknowledgement).where(
            tables.Acknowledgement.assignment_id == assignment_id, tables.Acknowledgement.recipient == recipient
        )
    ).first()


def file_claim(
    session: Session, assignment: tables.Assignment, recipient: str, *, note: str, day: date, now: datetime
) -> Filed:
    """申报办结 from the desk (interim until the notices' claims land: the audit trail only)."""
    _audit(session, assignment, "desk.claim", recipient, now, note=note, day=day.isoformat())
    assert assignment.id is not None
    return Filed(assignment.campaign_id, "claim", assignment.id, True, recipient)


def request_extension(
    session: Session,
    assignment: tables.Assignment,
    recipient: str,
    *,
    new_due: date,
    reason: str,
    day: date,
    now: datetime,
) -> Filed:
    """申请延期 from the desk (interim until the notices' extensions land: the audit trail only)."""
    if new_due <= assignment.due:
        raise ValueError("new due day not after the current one")
    _audit(session, assignment, "desk.extend", recipient, now, new_due=new_due.isoformat(), reason=reason)
    assert assignment.id is not None
    return Filed(assignment.campaign_id, "extension", assignment.id, True, recipient)


def request_of(session: Session, plan: Plan, kind: Kind, request_id: int) -> Request:
    """A claim or extension request as the e-mails speak of it (interim: they arrive with the notices' tables)."""
    raise LookupError(f"no {kind} {request_id}")


def decide(
    session: Session,
    kind: Kind,
    request_id: int,
    *,
    approve: bool,
    comment: str,
    decided_by: str,
    day: date,
    now: datetime,
) -> str:
    """Apply a decision by SPEC §2; 'approved' or 'rejected' (as it stands, if it was decided before)."""
    raise LookupError(f"no {kind} {request_id}")


def waiting_requests(session: Session) -> list[Filed]:
    """Every claim and extension request still waiting for a decision, in every campaign (interim: none yet)."""
    return []


def audit_request(session: Session, plan: Plan, kind: Kind, request_id: int, action: str, *, now: datetime) -> None:
    record_audit(session, plan.campaign.id, actor="desk", action=action, detail={kind: request_id}, now=now)


def name_of(plan: Plan, email: str) -> str:
    """The name the plan gives an address (a contact, head, liaison or the leading group's people)."""
    people = [p for c in plan.communities for p in (c.contact, c.head)]
    people += [p for o in plan.offices for p in (o.liaison, o.head)]
    people += [plan.leading_group.office_director, plan.leading_group.leader]
    return next((p.name for p in people if p.email.lower() == email.lower()), email)


def pending_of(session: Session, assignment_ids: Iterable[int]) -> dict[int, list[str]]:
    """assignment id → its pending claim and extension requests, in words (none until claims land)."""
    return {}


def campaign_answers(session: Session, campaign_id: str) -> tuple[dict[int, int], dict[int, date], dict[int, date]]:
    """For the whole campaign: acknowledgements per assignment, pending claims (filed on), pending extensions (to)."""
    acknowledged: dict[int, int] = {}
    for ack in session.exec(select(tables.Acknowledgement).where(tables.Acknowledgement.campaign_id == campaign_id)):
        acknowledged[ack.assignment_id] = acknowledged.get(ack.assignment_id, 0) + 1
    return acknowledged, {}, {}


def acknowledged_of(session: Session, assignment_ids: Iterable[int], recipient: str | None = None) -> dict[int, int]:
    """assignment id → how many acknowledgements it has (by `recipient` only, when given)."""
    ids = list(assignment_ids)
    if not ids:
        return {}
    query = select(tables.Acknowledgement).where(col(tables.Acknowledgement.assignment_id).in_(ids))
    if recipient is not None:
        query = query.where(tables.Acknowledgement.recipient == recipient)
    found: dict[int, int] = {}
    for row in session.exec(query):
        found[row.assignment_id] = found.get(row.assignment_id, 0) + 1
    return found


def my_lines(session: Session, plan: Plan, recipient: str, day: date) -> list[tuple[Role, DeskLine]]:
    """Every open assignment the reader owns, supervises, or (leading group) oversees; owned ones first."""
    items = {i.id: i for _, i in plan.items()}
    rows = session.exec(
        select(tables.Assignment)
        .where(
            tables.Assignment.campaign_id == plan.campaign.id,
            col(tables.Assignment.completed_on).is_(None),
            col(tables.Assignment.assigned_on) <= day,
        )
        .order_by(col(tables.Assignment.due), col(tables.Assignment.id))
    ).all()
    mine = [(role, a) for a in rows if (role := role_of(plan, items.get(a.item_id), a.assignee, recipient))]
    ids = [a.id for _, a in mine if a.id is not None]
    acknowledged, pending = acknowledged_of(session, ids, recipient), pending_of(session, ids)
    order: dict[Role, int] = {"owner": 0, "supervisor": 1, "lead": 2}
    lines = [
        (role, desk_line(plan, a, day, role, acknowledged=a.id in acknowledged, pending=pending.get(a.id or 0, [])))
        for role, a in mine
    ]
    return sorted(lines, key=lambda pair: order[pair[0]])


def _audit(
    session: Session, assignment: tables.Assignment, action: str, recipient: str, now: datetime, **detail: str
) -> None:
    record_audit(
        session,
        assignment.campaign_id,
        actor=f"desk:{recipient}",
        action=action,
        detail={"item": assignment.item_id, "assignee": assignment.assignee, "assignment": assignment.id, **detail},
        now=now,
    )
