"""Where a campaign stands, read from the database: the simulation report and `status`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import Select
from sqlalchemy import select as sql_select
from sqlmodel import Session, SQLModel, col, select

from models import tables
from models.engine import target_result
from models.plan import Plan
from models.reports.standing import TargetLine, jsonable, target_line
from tasks.engine import target_inputs


def columns(table: type[SQLModel], *names: str) -> Select[Any]:
    """A SELECT of some columns only, as plain rows (no ORM objects, no columns not asked for)."""
    return sql_select(*(getattr(table, name) for name in names))


def notices_report(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    notice = tables.Notice
    rows = session.connection().execute(
        columns(notice, "day", "phase_id", "item_id", "assignee", "stage", "cycle", "recipients")
        .where(col(notice.campaign_id) == campaign_id)
        .order_by(col(notice.day), col(notice.id))
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
    """Every e-mail without its body (a large campaign's bodies run to gigabytes)."""
    notice, outbox = tables.Notice, tables.Outbox
    refs = {
        notice_id: {"item": item, "assignee": assignee, "stage": stage, "cycle": cycle}
        for notice_id, item, assignee, stage, cycle in session.connection().execute(
            columns(notice, "id", "item_id", "assignee", "stage", "cycle").where(col(notice.campaign_id) == campaign_id)
        )
    }
    rows = session.connection().execute(
        columns(outbox, "day", "phase_id", "recipient", "subject", "message_id", "status", "notice_ids")
        .where(col(outbox.campaign_id) == campaign_id)
        .order_by(col(outbox.day), col(outbox.id))
    )
    return [
        {
            "date": day.isoformat(),
            "phase": phase,
            "to": to,
            "subject": subject,
            "message_id": message_id,
            "status": status,
            "notices": [refs[i] for i in notice_ids if i in refs],
        }
        for day, phase, to, subject, message_id, status, notice_ids in rows
    ]


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
