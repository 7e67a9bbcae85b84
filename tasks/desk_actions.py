"""What the desk reads and writes: acknowledgements, claims and extension requests, the reader's items.

Each function takes a session and leaves committing to its caller (the desk commits per request).
Claims and extension requests go through the notices' decision functions (tasks/decisions.py, SPEC §2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import tables
from models.desk import DeskLine, Role, desk_line, role_of
from models.plan import Plan
from models.receipts import Kind, Request
from models.rules import labels_of
from models.wording import cn_date
from tasks import decisions
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
    """申报办结 from the desk: a pending claim (SPEC §2); filing twice keeps the first and starts nothing."""
    assert assignment.id is not None
    standing = decisions.pending_claim(session, assignment.id)
    claim = standing or decisions.file_claim(session, assignment, day=day, note=note, actor=_actor(recipient), now=now)
    assert claim.id is not None
    return Filed(assignment.campaign_id, "claim", claim.id, standing is None, recipient)


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
    """申请延期 from the desk; one request waits at a time (asking again shows the one that waits)."""
    assert assignment.id is not None
    standing = pending_extension(session, assignment.id)
    extension = standing or decisions.request_extension(
        session, assignment, day=day, new_due=new_due, reason=reason, actor=_actor(recipient), now=now
    )
    assert extension.id is not None
    return Filed(assignment.campaign_id, "extension", extension.id, standing is None, recipient)


def pending_extension(session: Session, assignment_id: int) -> tables.Extension | None:
    return session.exec(
        select(tables.Extension).where(
            tables.Extension.assignment_id == assignment_id, tables.Extension.status == "requested"
        )
    ).first()


def request_of(session: Session, plan: Plan, kind: Kind, request_id: int) -> Request:
    """A claim or extension request as the e-mails speak of it."""
    row = _request_row(session, kind, request_id)
    assignment = session.get(tables.Assignment, row.assignment_id) if row is not None else None
    if row is None or assignment is None or row.campaign_id != plan.campaign.id:
        raise LookupError(f"no {kind} {request_id} in {plan.campaign.id}")
    titles, labels = {i.id: i.label for _, i in plan.items()}, labels_of(plan)
    if isinstance(row, tables.Extension):
        due, new_due, text = row.previous_due, row.new_due, row.reason
    else:
        due, new_due, text = assignment.due, None, row.note
    title, name = titles.get(assignment.item_id, assignment.item_id), labels.get(assignment.assignee, "")
    return Request(plan.campaign.id, kind, request_id, title, name, row.day, due, new_due, text)


def _request_row(session: Session, kind: Kind, request_id: int) -> tables.Claim | tables.Extension | None:
    if kind == "claim":
        return session.get(tables.Claim, request_id)
    return session.get(tables.Extension, request_id)


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
    row = _request_row(session, kind, request_id)
    if row is None:
        raise LookupError(f"no {kind} {request_id}")
    if row.status not in ("pending", "requested"):
        return "approved" if row.status in ("confirmed", "approved") else "rejected"
    if kind == "claim":
        decide_claim = decisions.confirm_claim if approve else decisions.reject_claim
        decide_claim(session, request_id, actor=decided_by, comment=comment, day=day, now=now)
    else:
        decide_extension = decisions.approve_extension if approve else decisions.reject_extension
        decide_extension(session, request_id, actor=decided_by, comment=comment, day=day, now=now)
    return "approved" if approve else "rejected"


def waiting_requests(session: Session) -> list[Filed]:
    """Every claim and extension request filed at the desk and still waiting for a decision, in every campaign."""
    found = []
    kinds: list[tuple[Kind, str, Any, str]] = [
        ("claim", "claim", tables.Claim, "pending"),
        ("extension", "extension.request", tables.Extension, "requested"),
    ]
    for kind, action, table, status in kinds:
        waiting = {row.id: row for row in session.exec(select(table).where(table.status == status))}
        filed = session.exec(
            select(tables.Audit).where(tables.Audit.action == action, col(tables.Audit.actor).startswith("desk:"))
        )
        for audit in filed:
            row = waiting.pop(audit.detail.get(kind), None)
            if row is not None:
                found.append(Filed(row.campaign_id, kind, row.id, True, audit.actor.removeprefix("desk:")))
    return found


def audit_request(session: Session, plan: Plan, kind: Kind, request_id: int, action: str, *, now: datetime) -> None:
    record_audit(session, plan.campaign.id, actor="desk", action=action, detail={kind: request_id}, now=now)


def name_of(plan: Plan, email: str) -> str:
    """The name the plan gives an address (a contact, head, liaison or the leading group's people)."""
    people = [p for c in plan.communities for p in (c.contact, c.head)]
    people += [p for o in plan.offices for p in (o.liaison, o.head)]
    people += [plan.leading_group.office_director, plan.leading_group.leader]
    return next((p.name for p in people if p.email.lower() == email.lower()), email)


def pending_of(session: Session, assignment_ids: Iterable[int]) -> dict[int, list[str]]:
    """assignment id → its pending claim and extension requests, in words."""
    ids = list(assignment_ids)
    found: dict[int, list[str]] = {}
    if not ids:
        return found
    for claim in session.exec(
        select(tables.Claim).where(col(tables.Claim.assignment_id).in_(ids), tables.Claim.status == "pending")
    ):
        found.setdefault(claim.assignment_id, []).append(f"{cn_date(claim.day)}申报办结，待督办科室审核")
    for ext in session.exec(
        select(tables.Extension).where(
            col(tables.Extension.assignment_id).in_(ids), tables.Extension.status == "requested"
        )
    ):
        found.setdefault(ext.assignment_id, []).append(f"申请延期至{cn_date(ext.new_due)}，待领导小组办公室审核")
    return found


def campaign_answers(session: Session, campaign_id: str) -> tuple[dict[int, int], dict[int, date], dict[int, date]]:
    """For the whole campaign: acknowledgements per assignment, pending claims (filed on), pending extensions (to)."""
    acknowledged: dict[int, int] = {}
    for ack in session.exec(select(tables.Acknowledgement).where(tables.Acknowledgement.campaign_id == campaign_id)):
        acknowledged[ack.assignment_id] = acknowledged.get(ack.assignment_id, 0) + 1
    claims = session.exec(
        select(tables.Claim).where(tables.Claim.campaign_id == campaign_id, tables.Claim.status == "pending")
    )
    extensions = session.exec(
        select(tables.Extension).where(
            tables.Extension.campaign_id == campaign_id, tables.Extension.status == "requested"
        )
    )
    return acknowledged, {c.assignment_id: c.day for c in claims}, {e.assignment_id: e.new_due for e in extensions}


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


def _actor(recipient: str) -> str:
    return f"desk:{recipient}"


def _audit(
    session: Session, assignment: tables.Assignment, action: str, recipient: str, now: datetime, **detail: str
) -> None:
    record_audit(
        session,
        assignment.campaign_id,
        actor=_actor(recipient),
        action=action,
        detail={"item": assignment.item_id, "assignee": assignment.assignee, "assignment": assignment.id, **detail},
        now=now,
    )
