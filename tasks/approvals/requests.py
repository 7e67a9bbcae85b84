"""Claims and extension requests filed at the desk, read as the e-mails speak of them, decided (SPEC §2, §7).

Each function takes a session and leaves committing to its caller; the decisions themselves are decisions.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from models import tables
from models.approvals import Kind, Outcome, Request
from models.engine import labels_of
from models.plan import Plan
from models.vocabulary import ClaimStatus, ExtensionStatus
from tasks.approvals import decisions
from tasks.store import record_audit


@dataclass(frozen=True)
class Filed:
    """A claim or extension request as the desk filed (or found) it; `new` False when it already stood."""

    campaign: str
    kind: Kind
    id: int
    new: bool
    by: str  # who filed it: the receipt goes there
    run: str | None = None  # its approval flow run, once started


def file_claim(
    session: Session, assignment: tables.Assignment, recipient: str, *, note: str, day: date, now: datetime
) -> Filed:
    """申报办结 from the desk: a pending claim (SPEC §2); filing twice keeps the first and starts nothing."""
    try:
        claim = decisions.file_claim(session, assignment, day=day, note=note, actor=desk_actor(recipient), now=now)
    except decisions.AlreadyPending as pending:
        assert pending.standing.id is not None
        return Filed(assignment.campaign_id, "claim", pending.standing.id, False, recipient)
    assert claim.id is not None
    return Filed(assignment.campaign_id, "claim", claim.id, True, recipient)


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
    try:
        extension = decisions.request_extension(
            session, assignment, day=day, new_due=new_due, reason=reason, actor=desk_actor(recipient), now=now
        )
    except decisions.AlreadyPending as pending:
        assert pending.standing.id is not None
        return Filed(assignment.campaign_id, "extension", pending.standing.id, False, recipient)
    assert extension.id is not None
    return Filed(assignment.campaign_id, "extension", extension.id, True, recipient)


pending_extension = decisions.pending_extension


def request_of(session: Session, plan: Plan, kind: Kind, request_id: int) -> Request:
    """A claim or extension request as the e-mails speak of it."""
    row = request_row(session, kind, request_id)
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


def request_row(session: Session, kind: Kind, request_id: int) -> tables.Claim | tables.Extension | None:
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
) -> Outcome:
    """Apply a decision by SPEC §2; 'approved' or 'rejected' (as it stands, if it was decided before)."""
    row = request_row(session, kind, request_id)
    if row is None:
        raise LookupError(f"no {kind} {request_id}")
    if row.status not in (ClaimStatus.PENDING, ExtensionStatus.REQUESTED):
        return "approved" if row.status in (ClaimStatus.CONFIRMED, ExtensionStatus.APPROVED) else "rejected"
    if kind == "claim":
        decide_claim = decisions.confirm_claim if approve else decisions.reject_claim
        decide_claim(session, request_id, actor=decided_by, comment=comment, day=day, now=now)
    else:
        decide_extension = decisions.approve_extension if approve else decisions.reject_extension
        decide_extension(session, request_id, actor=decided_by, comment=comment, day=day, now=now)
    return "approved" if approve else "rejected"


def waiting_requests(session: Session, campaign_id: str | None = None) -> list[Filed]:
    """Every claim and extension request filed at the desk and still waiting for a decision (of one campaign)."""
    found = []
    kinds: list[tuple[Kind, str, Any, ClaimStatus | ExtensionStatus]] = [
        ("claim", "claim", tables.Claim, ClaimStatus.PENDING),
        ("extension", "extension.request", tables.Extension, ExtensionStatus.REQUESTED),
    ]
    for kind, action, table, status in kinds:
        query, audits = select(table).where(table.status == status), select(tables.Audit)
        if campaign_id is not None:
            query = query.where(table.campaign_id == campaign_id)
            audits = audits.where(tables.Audit.campaign_id == campaign_id)
        waiting = {row.id: row for row in session.exec(query)}
        filed = session.exec(audits.where(tables.Audit.action == action, col(tables.Audit.actor).startswith("desk:")))
        for audit in filed:
            row = waiting.pop(audit.detail.get(kind), None)
            if row is not None:
                found.append(
                    Filed(row.campaign_id, kind, row.id, True, audit.actor.removeprefix("desk:"), row.approval_run)
                )
    return found


def audit_request(session: Session, plan: Plan, kind: Kind, request_id: int, action: str, *, now: datetime) -> None:
    record_audit(session, plan.campaign.id, actor="desk", action=action, detail={kind: request_id}, now=now)


def desk_actor(recipient: str) -> str:
    return f"desk:{recipient}"
