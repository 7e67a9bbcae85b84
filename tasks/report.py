"""Where a campaign stands, read from the database: the simulation report and `status`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from models import tables
from models.plan import Plan
from models.standing import TargetLine, jsonable, target_line
from models.targets import target_result
from tasks.escalate import target_inputs


def notices_report(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    rows = session.exec(
        select(tables.Notice)
        .where(tables.Notice.campaign_id == campaign_id)
        .order_by(col(tables.Notice.day), col(tables.Notice.id))
    )
    return [
        {
            "date": n.day.isoformat(),
            "phase": n.phase_id,
            "item": n.item_id,
            "assignee": n.assignee,
            "stage": n.stage,
            "cycle": n.cycle,
            "recipients": sorted(n.recipients),
        }
        for n in rows
    ]


def emails_report(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    notices = {n.id: n for n in session.exec(select(tables.Notice).where(tables.Notice.campaign_id == campaign_id))}
    rows = session.exec(
        select(tables.Outbox)
        .where(tables.Outbox.campaign_id == campaign_id)
        .order_by(col(tables.Outbox.day), col(tables.Outbox.id))
    )
    return [
        {
            "date": e.day.isoformat(),
            "phase": e.phase_id,
            "to": e.recipient,
            "subject": e.subject,
            "message_id": e.message_id,
            "status": e.status,
            "notices": [_notice_ref(notices[i]) for i in e.notice_ids if i in notices],
        }
        for e in rows
    ]


def _notice_ref(notice: tables.Notice) -> dict[str, Any]:
    return {"item": notice.item_id, "assignee": notice.assignee, "stage": notice.stage, "cycle": notice.cycle}


def assignments_report(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    rows = session.exec(
        select(tables.Assignment)
        .where(tables.Assignment.campaign_id == campaign_id)
        .order_by(col(tables.Assignment.item_id), col(tables.Assignment.assignee), col(tables.Assignment.occurrence))
    )
    return [
        {
            "item": a.item_id,
            "assignee": a.assignee,
            "occurrence": a.occurrence,
            "due": a.due.isoformat(),
            "assigned_on": a.assigned_on.isoformat(),
            "completed_on": a.completed_on.isoformat() if a.completed_on else None,
        }
        for a in rows
    ]


def target_lines(session: Session, plan: Plan, day: date | None = None) -> list[TargetLine]:
    """Each target on its `by` day, or where it stands on `day` if that comes first (state 'open')."""
    inputs = target_inputs(session, plan)
    lines = []
    for target in plan.targets:
        on = min(day, target.by) if day else target.by
        lines.append(target_line(target_result(plan, target, inputs, on), on))
    return lines


def full_report(session: Session, plan: Plan) -> dict[str, Any]:
    cid = plan.campaign.id
    return {
        "campaign": cid,
        "notices": notices_report(session, cid),
        "emails": emails_report(session, cid),
        "assignments": assignments_report(session, cid),
        "targets": [jsonable(asdict(line)) for line in target_lines(session, plan)],
    }
