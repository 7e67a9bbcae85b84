"""What the desk reads and writes: acknowledgements, and what is pending in words (the reader's items: mine.py).

Each function takes a session and leaves committing to its caller (the desk commits per request).
Claims and extension requests are the approvals feature's (tasks/approvals/requests.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import tables
from models.mail import cn_date
from models.vocabulary import ClaimStatus, ExtensionStatus
from tasks.approvals import desk_actor
from tasks.store import record_audit


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


def pending_of(session: Session, assignment_ids: Iterable[int]) -> dict[int, list[str]]:
    """assignment id → its pending claim and extension requests, in words."""
    ids = list(assignment_ids)
    found: dict[int, list[str]] = {}
    if not ids:
        return found
    for claim in session.exec(
        select(tables.Claim).where(col(tables.Claim.assignment_id).in_(ids), tables.Claim.status == ClaimStatus.PENDING)
    ):
        found.setdefault(claim.assignment_id, []).append(f"{cn_date(claim.day)}申报办结，待督办科室审核")
    for ext in session.exec(
        select(tables.Extension).where(
            col(tables.Extension.assignment_id).in_(ids), tables.Extension.status == ExtensionStatus.REQUESTED
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
        select(tables.Claim).where(tables.Claim.campaign_id == campaign_id, tables.Claim.status == ClaimStatus.PENDING)
    )
    extensions = session.exec(
        select(tables.Extension).where(
            tables.Extension.campaign_id == campaign_id, tables.Extension.status == ExtensionStatus.REQUESTED
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


def _audit(
    session: Session, assignment: tables.Assignment, action: str, recipient: str, now: datetime, **detail: str
) -> None:
    record_audit(
        session,
        assignment.campaign_id,
        actor=desk_actor(recipient),
        action=action,
        detail={"item": assignment.item_id, "assignee": assignment.assignee, "assignment": assignment.id, **detail},
        now=now,
    )
