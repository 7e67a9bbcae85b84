"""Claims (办结申报) and extensions (延期), SPEC §2: filing and deciding them, each decision audited.

Plain functions over a session, so progress rows, the Prefect UI and the e-mail desk share them.
A refused request raises DecisionError; the caller's transaction keeps nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import tables
from models.vocabulary import ClaimStatus, ExtensionStatus
from tasks.store import record_audit


class DecisionError(ValueError):
    """A claim or extension the rules refuse, in one line."""


class AlreadyPending(DecisionError):
    """A request of that kind waits for a decision already (one at a time, SPEC §7): `standing` is that one."""

    def __init__(self, standing: tables.Claim | tables.Extension) -> None:
        what = "a claim" if isinstance(standing, tables.Claim) else f"an extension request to {standing.new_due}"
        super().__init__(f"{what} is pending; decide it first")
        self.standing = standing


Pending = TypeVar("Pending", tables.Claim, tables.Extension)


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
        select(tables.Claim).where(
            tables.Claim.assignment_id == assignment_id, tables.Claim.status == ClaimStatus.PENDING
        )
    ).first()


def pending_extension(session: Session, assignment_id: int) -> tables.Extension | None:
    return session.exec(
        select(tables.Extension).where(
            tables.Extension.assignment_id == assignment_id,
            tables.Extension.status == ExtensionStatus.REQUESTED,
        )
    ).first()


def _insert_pending(session: Session, row: Pending, standing: Callable[[], Pending | None]) -> Pending | None:
    """Insert a pending request unless one stands: then that one. The partial unique index (migration 0010) makes
    this hold when two submissions race: the loser's insert fails inside its savepoint and it reads the winner."""
    found = standing()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = standing()
        if found is None:
            raise
        return found
    return None


def file_claim(
    session: Session, assignment: tables.Assignment, *, day: date, note: str, actor: str, now: datetime
) -> tables.Claim:
    """A pending claim that the assignment is done; AlreadyPending when one waits already."""
    assert assignment.id is not None
    if assignment.completed_on is not None:
        raise DecisionError(f"{assignment.item_id} for {assignment.assignee} is already completed")
    claim = tables.Claim(
        campaign_id=assignment.campaign_id, assignment_id=assignment.id, day=day, note=note, status=ClaimStatus.PENDING
    )
    standing = _insert_pending(session, claim, lambda: pending_claim(session, assignment.id or 0))
    if standing is not None:
        raise AlreadyPending(standing)
    _audit(session, assignment, "claim", actor, now, claim=claim.id, day=day, note=note)
    return claim


def confirm_claim(
    session: Session, claim_id: int, *, actor: str, comment: str, day: date, now: datetime
) -> tables.Claim:
    """Confirmed: the assignment is complete on the claim's day (not before it was assigned)."""
    claim, assignment = _pending(session, claim_id)
    _decide(claim, ClaimStatus.CONFIRMED, actor, comment, day)
    if assignment.completed_on is None:
        assignment.completed_on = max(claim.day, assignment.assigned_on)
        session.add(assignment)
    _audit(session, assignment, "claim.confirm", actor, now, claim=claim_id, day=day, comment=comment)
    _withdraw_extension(session, assignment, day, now)
    return claim


def _withdraw_extension(session: Session, assignment: tables.Assignment, day: date, now: datetime) -> None:
    """A claim confirmed while an extension request waits: the request is withdrawn, never decided (SPEC §7)."""
    extension = pending_extension(session, assignment.id or 0)
    if extension is not None:
        _decide(extension, ExtensionStatus.WITHDRAWN, "desk", "该事项已确认办结，延期申请撤回", day)
        _audit(session, assignment, "extension.withdraw", "desk", now, extension=extension.id)


def reject_claim(
    session: Session, claim_id: int, *, actor: str, comment: str, day: date, now: datetime
) -> tables.Claim:
    """Rejected: the assignment is open again and its ladder resumes (the highest stage reached, once)."""
    claim, assignment = _pending(session, claim_id)
    _decide(claim, ClaimStatus.REJECTED, actor, comment, day)
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
        status=ExtensionStatus.REQUESTED,
    )
    standing = _insert_pending(session, extension, lambda: pending_extension(session, assignment.id or 0))
    if standing is not None:
        raise AlreadyPending(standing)
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
    _decide(extension, ExtensionStatus.APPROVED, actor, comment, day)
    assignment.due = extension.new_due
    session.add(assignment)
    _audit(session, assignment, "extension.approve", actor, now, extension=extension_id, new_due=extension.new_due)
    return extension


def reject_extension(
    session: Session, extension_id: int, *, actor: str, comment: str, day: date, now: datetime
) -> tables.Extension:
    extension, assignment = _requested(session, extension_id)
    _decide(extension, ExtensionStatus.REJECTED, actor, comment, day)
    _audit(session, assignment, "extension.reject", actor, now, extension=extension_id, comment=comment)
    return extension


def _check_extension(assignment: tables.Assignment, new_due: date) -> None:
    if assignment.completed_on is not None:
        raise DecisionError(f"{assignment.item_id} for {assignment.assignee} is already completed")
    if new_due <= assignment.due:
        raise DecisionError(f"new due day {new_due} is not after the current due day {assignment.due}")


def _pending(session: Session, claim_id: int) -> tuple[tables.Claim, tables.Assignment]:
    claim = session.get(tables.Claim, claim_id)
    if claim is None or claim.status != ClaimStatus.PENDING:
        raise DecisionError(f"claim {claim_id} is not pending")
    return claim, _assignment(session, claim.assignment_id)


def _requested(session: Session, extension_id: int) -> tuple[tables.Extension, tables.Assignment]:
    extension = session.get(tables.Extension, extension_id)
    if extension is None or extension.status != ExtensionStatus.REQUESTED:
        raise DecisionError(f"extension {extension_id} is not awaiting a decision")
    return extension, _assignment(session, extension.assignment_id)


def _assignment(session: Session, assignment_id: int) -> tables.Assignment:
    assignment = session.get(tables.Assignment, assignment_id)
    if assignment is None:
        raise DecisionError(f"no assignment {assignment_id}")
    return assignment


def _decide(
    row: tables.Claim | tables.Extension, status: ClaimStatus | ExtensionStatus, actor: str, comment: str, day: date
) -> None:
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
