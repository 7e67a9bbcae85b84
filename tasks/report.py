"""Where a campaign stands, read from the database: the simulation report and `status`."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from models import tables
from models.plan import Plan
from tasks.escalate import evaluate_target


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


TARGET_LABELS = {"met": "达成", "missed": "未达成", "open": "进行中"}


def targets_report(session: Session, plan: Plan, day: date | None = None) -> list[dict[str, Any]]:
    """Each target on its `by` day, or where it stands on `day` if that comes first (state 'open')."""
    rows = []
    for target in plan.targets:
        on = min(day, target.by) if day else target.by
        r = evaluate_target(session, plan, target, on)
        state = "met" if r.met else ("open" if on < target.by else "missed")
        rows.append(
            {
                "id": r.id,
                "by": r.by.isoformat(),
                "required": r.required,
                "achieved": r.achieved,
                "met": r.met,
                "state": state,
                "label": TARGET_LABELS[state],
            }
        )
    return rows


def full_report(session: Session, plan: Plan) -> dict[str, Any]:
    cid = plan.campaign.id
    return {
        "campaign": cid,
        "notices": notices_report(session, cid),
        "emails": emails_report(session, cid),
        "assignments": assignments_report(session, cid),
        "targets": targets_report(session, plan),
    }
