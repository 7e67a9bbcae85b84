"""Claims (办结申报) and extensions (延期), SPEC §2: filing and deciding them, each decision audited.

Plain functions over a session, so progress rows, the Prefect UI and the e-mail desk share them.
A refused request raises DecisionError; the caller's transaction keeps nothing of it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from models import tables
from tasks.store import record_audit


class DecisionError(ValueError):
    """A claim or extension the rules refuse, in one line."""


def earliest_open(session: Session, campaign_id: str, item_id: str, assignee: str) -> tables.Assignment:
    """The assignee's earliest open occurrence of an item, assigned already."""
    row = session.exec(
        select(tables.Assignment)
        .where(
            tables.Assignment.campaign_id == campaign_id,
            tables.Assignment.item_id == item_id,
            tables.Assignment.assignee == assignee,
            col(tables.Assignment.completed_on).is_(None),
        )
        .order_by(col(tables.Assignment.occurrence), col(tables.Assignment.id))
    ).first()
    if row is None:
        raise DecisionError(f"no open assignment of {item_id} for {assignee}")
    return row


def pending_claim(session: Session, assignment_id: int) -> tables.Claim | None:
    return session.exec(
        select(tables.Claim).where(tables.Claim.assignment_id == assignment_id, tables.Claim.status == "pending")
    ).first()


def file_claim(
    session: Session, assignment: tables.Assignment, *, day: date, note: str, actor: str, now: datetime
) -> tables.Claim:
    """A pending claim that the assignment is done; filing twice keeps the first."""
    assert assignment.id is not None
    if assignment.completed_on is not None:
        raise DecisionError(f"{assignment.item_id} for {assignment.assignee} is already completed")
    existing = pending_claim(session, assignment.id)
    if existing is not None:
        return existing
    claim = tables.Claim(
        campaign_id=assignment.campaign_id, assignment_id=assignment.id, day=day, note=note, status="pending"
    )
    session.add(claim)
    session.flush()
    _audit(session, assignment, "claim", actor, now, claim=claim.id, day=day, note=note)
    return claim


def confirm_claim(
    session: Session, claim_id: int, *, actor: str, comment: str, day: date, now: datetime
) -> tables.Claim:
    """Confirmed: the assignment is complete on the claim's day (not before it was assigned)."""
    claim, assignment = _pending(session, claim_id)
    _decide(claim, "confirmed", actor, comment, day)
    if assignment.completed_on is None:
        assignment.completed_on = max(claim.day, assignment.assigned_on)
        session.add(assignment)
    _audit(session, assignment, "claim.confirm", actor, now, claim=claim_id, day=day, comment=comment)
    return claim


def reject_claim(
    session: Session, claim_id: int, *, actor: str, comment: str, day: date, now: datetime
) -> tables.Claim:
    """Rejected: the assignment is open again and its ladder resumes (the highest stage reached, once)."""
    claim, assignment = _pending(session, claim_id)
    _decide(claim, "rejected", actor, comment, day)
    _audit(session, assignment, "claim.reject", actor, now, claim=claim_id, day=day, comment=comment)
    return claim


def request_extension(
    session: Session, assignment: tables.Assignment, *, day: date, new_due: date, reason: str, actor: str, now: datetime
) -> tables.Extension:
    """An extension asked for: to a day after the current due day, of an open assignment."""
    assert assignment.id is not None
    _check_extension(assignment, new_due)
    extension = tables.Extension(
        campaign_id=assignment.campaign_id,
        assignment_id=assignment.id,
        day=day,
        previous_due=assignment.due,
        new_due=new_due,
        reason=reason,
        status="requested",
    )
    session.add(extension)
    session.flush()
    _audit(session, assignment, "extension.request", actor, now, extension=extension.id, new_due=new_due)
    return extension


def approve_extension(
    session: Session, extension_id: int, *, actor: str, comment: str, day: date, now: datetime
) -> tables.Extension:
    """Approved: the due day moves from the extension's day on (not before the approval day)."""
    extension, assignment = _requested(session, extension_id)
    _check_extension(assignment, extension.new_due)
    extension.previous_due = assignment.due
    extension.day = max(extension.day, day)
    _decide(extension, "approved", actor, comment, day)
    assignment.due = extension.new_due
    session.add(assignment)
    _audit(session, assignment, "extension.approve", actor, now, extension=extension_id, new_due=extension.new_due)
    return extension


def reject_extension(
    session: Session, extension_id: int, *, actor: str, comment: str, day: date, now: datetime
) -> tables.Extension:
    extension, assignment = _requested(session, extension_id)
    _decide(extension, "rejected", actor, comment, day)
    _audit(session, assignment, "extension.reject", actor, now, extension=extension_id, comment=comment)
    return extension


def _check_extension(assignment: tables.Assignment, new_due: date) -> None:
    if assignment.completed_on is not None:
        raise DecisionError(f"{assignment.item_id} for {assignment.assignee} is already completed")
    if new_due <= assignment.due:
        raise DecisionError(f"new due day {new_due} is not after the current due day {assignment.due}")


def _pending(session: Session, claim_id: int) -> tuple[tables.Claim, tables.Assignment]:
    claim = session.get(tables.Claim, claim_id)
    if claim is None or claim.status != "pending":
        raise DecisionError(f"claim {claim_id} is not pending")
    return claim, _assignment(session, claim.assignment_id)


def _requested(session: Session, extension_id: int) -> tuple[tables.Extension, tables.Assignment]:
    extension = session.get(tables.Extension, extension_id)
    if extension is None or extension.status != "requested":
        raise DecisionError(f"extension {extension_id} is not awaiting a decision")
    return extension, _assignment(session, extension.assignment_id)


def _assignment(session: Session, assignment_id: int) -> tables.Assignment:
    assignment = session.get(tables.Assignment, assignment_id)
    if assignment is None:
        raise DecisionError(f"no assignment {assignment_id}")
    return assignment


def _decide(row: tables.Claim | tables.Extension, status: str, actor: str, comment: str, day: date) -> None:
    row.status, row.decided_by, row.decided_on, row.comment = status, actor, day, comment


def _audit(
    session: Session, assignment: tables.Assignment, action: str, actor: str, now: datetime, **detail: Any
) -> None:
    detail |= {"item": assignment.item_id, "assignee": assignment.assignee, "occurrence": assignment.occurrence}
    record_audit(
        session,
        assignment.campaign_id,
        actor=actor,
        action=action,
        detail={k: str(v) if isinstance(v, date) else v for k, v in detail.items()},
        now=now,
    )
