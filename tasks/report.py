"""Where a campaign stands, read from the database: the simulation report and `status`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from models import tables
from models.plan import Plan
from models.standing import TargetLine, jsonable, target_line
from models.targets import target_result
from tasks.escalate import target_inputs


def notices_report(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    rows = session.execute(  # columns, not ORM objects: a large campaign's report stays a list of small dicts
        select_columns(
            col(tables.Notice.day),
            col(tables.Notice.phase_id),
            col(tables.Notice.item_id),
            col(tables.Notice.assignee),
            col(tables.Notice.stage),
            col(tables.Notice.cycle),
            col(tables.Notice.recipients),
        )
        .where(col(tables.Notice.campaign_id) == campaign_id)
        .order_by(col(tables.Notice.day), col(tables.Notice.id))
    )
    return [
        {
            "date": day.isoformat(),
            "phase": phase,
            "item": item,
            "assignee": assignee,
            "stage": stage,
            "cycle": cycle,
            "recipients": sorted(recipients),
        }
        for day, phase, item, assignee, stage, cycle, recipients in rows
    ]


def emails_report(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    refs = session.execute(
        select_columns(
            col(tables.Notice.id),
            col(tables.Notice.item_id),
            col(tables.Notice.assignee),
            col(tables.Notice.stage),
            col(tables.Notice.cycle),
        ).where(col(tables.Notice.campaign_id) == campaign_id)
    )
    notices = {
        notice_id: {"item": item, "assignee": who, "stage": stage, "cycle": cycle}
        for notice_id, item, who, stage, cycle in refs
    }
    rows = session.execute(
        select_columns(
            col(tables.Outbox.day),
            col(tables.Outbox.phase_id),
            col(tables.Outbox.recipient),
            col(tables.Outbox.subject),
            col(tables.Outbox.message_id),
            col(tables.Outbox.status),
            col(tables.Outbox.notice_ids),
        )
        .where(col(tables.Outbox.campaign_id) == campaign_id)
        .order_by(col(tables.Outbox.day), col(tables.Outbox.id))
    )  # not the stored bodies
    return [
        {
            "date": day.isoformat(),
            "phase": phase,
            "to": recipient,
            "subject": subject,
            "message_id": message_id,
            "status": status,
            "notices": [dict(notices[i]) for i in notice_ids if i in notices],
        }
        for day, phase, recipient, subject, message_id, status, notice_ids in rows
    ]


def assignments_report(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select_columns(
            col(tables.Assignment.item_id),
            col(tables.Assignment.assignee),
            col(tables.Assignment.occurrence),
            col(tables.Assignment.due),
            col(tables.Assignment.assigned_on),
            col(tables.Assignment.completed_on),
        )
        .where(col(tables.Assignment.campaign_id) == campaign_id)
        .order_by(col(tables.Assignment.item_id), col(tables.Assignment.assignee), col(tables.Assignment.occurrence))
    )
    return [
        {
            "item": item,
            "assignee": assignee,
            "occurrence": occurrence,
            "due": due.isoformat(),
            "assigned_on": assigned_on.isoformat(),
            "completed_on": completed_on.isoformat() if completed_on else None,
        }
        for item, assignee, occurrence, due, assigned_on, completed_on in rows
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
