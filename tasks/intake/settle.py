"""A person settles what waits as 待分拣 (SPEC §9): assigned to a unit's item (the claim filed as if matched), or
ignored; either way audited with who and when. Bad arguments raise ValueError with one line naming what."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from models import tables
from models.intake import Candidate, IntakeMessage, Matched, fill
from models.plan import Plan
from models.settings import Settings
from models.vocabulary import AssigneeKey, IntakeStatus
from tasks.approvals import Filed
from tasks.intake.filing import ClaimPending, Filing, file_matched
from tasks.intake.reading import kept_message
from tasks.intake.register import waiting_row
from tasks.intake.unpack import unpack
from tasks.store import record_audit, today_in


def assign(
    session: Session, settings: Settings, plan: Plan, uid: int, item_id: str, unit: str, *, actor: str, now: datetime
) -> Filed | None:
    """The message's files filed as the unit's claim on the item; the new claim, to start its approval run.
    MaterialsRefused when its files do not meet the item's materials."""
    row = _waiting(session, plan, uid)
    candidate = _candidate(session, plan, item_id, unit)
    kept = kept_message(settings, row.sha256)
    if not kept.exists():
        raise ValueError(f"UID: message {uid} was not kept (too large or unreadable): ignore it instead")
    with tempfile.TemporaryDirectory(prefix="greencomm-intake-") as scratch:
        letter = unpack(kept, Path(scratch))
        decision = fill(candidate, letter.materials)
        if not isinstance(decision, Matched):
            raise ValueError(f"UID: message {uid} cannot be filed for {item_id}: {decision.reason.text}")
        filing = Filing(today_in(plan, now), now, settings.mail_from, settings.files_dir, settings.upload_max_mb)
        try:
            filed = file_matched(session, plan, row, letter, decision, filing)
        except ClaimPending:
            raise ValueError(f"ITEM: {unit} has a claim on {item_id} waiting for a decision: decide it first") from None
    _settled(session, plan, row, IntakeStatus.ASSIGNED, actor, now)
    return filed


def ignore(session: Session, plan: Plan, uid: int, *, actor: str, now: datetime) -> None:
    _settled(session, plan, _waiting(session, plan, uid), IntakeStatus.IGNORED, actor, now)


def _waiting(session: Session, plan: Plan, uid: int) -> IntakeMessage:
    row = waiting_row(session, plan.campaign.id, uid)
    if row is None:
        raise ValueError(f"UID: no message {uid} waits for triage in {plan.campaign.id} (see greencomm status)")
    return row


def _candidate(session: Session, plan: Plan, item_id: str, unit: str) -> Candidate:
    items = {item.id: item for phase in plan.phases for item in phase.items}
    item = items.get(item_id)
    if item is None or not item.materials or item.is_submission:
        raise ValueError(f"ITEM: {item_id!r} is not an item of {plan.campaign.id} that asks for materials")
    try:
        key = AssigneeKey.parse(unit)
    except ValueError as error:
        raise ValueError(f"--for: {error}") from None
    a = tables.Assignment
    found = session.exec(
        select(a)
        .where(a.campaign_id == plan.campaign.id, a.item_id == item_id, a.assignee == key)
        .where(col(a.completed_on).is_(None))
        .order_by(col(a.due), col(a.id))
    ).first()
    if found is None:
        raise ValueError(f"--for: {unit} has no open assignment of {item_id}")
    return Candidate(found.id, item, key, found.due)


def _settled(session: Session, plan: Plan, row: IntakeMessage, status: IntakeStatus, actor: str, now: datetime) -> None:
    row.status, row.settled_by, row.settled_at = status, actor, now
    session.add(row)
    detail = {"uid": row.uid, "sender": row.sender, "item": row.item_id, "assignee": row.assignee}
    record_audit(session, plan.campaign.id, actor=actor, action=f"intake.{status}", detail=detail, now=now)
