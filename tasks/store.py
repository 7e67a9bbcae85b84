"""Loading a plan into the database in place (SPEC §2), and reading it back for a run."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from models import tables
from models.plan import Plan
from models.plan_rules import normalise
from models.roster import is_imported, with_roster
from models.rules import due_of
from models.workcal import local_day


def plan_json(plan: Plan) -> dict[str, Any]:
    return plan.model_dump(mode="json", by_alias=True)


def sync_plan(session: Session, plan: Plan, *, actor: str, now: datetime, shift_days: int = 0) -> dict[str, Any]:
    """Insert or update the campaign; ids are stable, open work follows changed due days; audited."""
    campaign = session.get(tables.Campaign, plan.campaign.id)
    old = Plan.model_validate(campaign.plan) if campaign else None
    if old and is_imported(old) and not is_imported(plan):
        plan = with_roster(plan, old.communities)  # an imported roster outlives plan reloads
    data = plan_json(plan)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    if campaign and campaign.plan_digest == digest:
        return {}
    change = _describe_change(old, plan)
    campaign = campaign or tables.Campaign(
        id=plan.campaign.id, name="", timezone="", plan={}, plan_digest="", loaded_at=now
    )
    campaign.sqlmodel_update(
        {
            "name": plan.campaign.name,
            "timezone": plan.campaign.timezone,
            "plan": data,
            "plan_digest": digest,
            "loaded_at": now,
            "rehearsal_shift_days": shift_days,
        }
    )
    session.add(campaign)
    _sync_rows(session, plan)
    _follow_due_changes(session, plan)
    record_audit(
        session,
        plan.campaign.id,
        actor=actor,
        action="plan-load" if old else "plan-create",
        detail=change,
        now=now,
    )
    return change


def _describe_change(old: Plan | None, new: Plan) -> dict[str, Any]:
    if old is None:
        return {"items": len(new.items()), "communities": len(new.communities), "offices": len(new.offices)}
    before = {i.id: i for _, i in old.items()}
    after = {i.id: i for _, i in new.items()}
    return {
        "items_added": sorted(after.keys() - before.keys()),
        "items_removed": sorted(before.keys() - after.keys()),
        "due_changed": {
            k: [str(before[k].due), str(v.due)] for k, v in after.items() if k in before and before[k].due != v.due
        },
        "communities_added": sorted({c.id for c in new.communities} - {c.id for c in old.communities}),
        "communities_removed": sorted({c.id for c in old.communities} - {c.id for c in new.communities}),
    }


def _sync_rows(session: Session, plan: Plan) -> None:
    cid = plan.campaign.id
    offices = [
        tables.Office(
            campaign_id=cid,
            id=o.id,
            name=o.name,
            liaison_name=o.liaison.name,
            liaison_email=o.liaison.email,
            head_name=o.head.name,
            head_email=o.head.email,
        )
        for o in plan.offices
    ]
    communities = [
        tables.Community(
            campaign_id=cid,
            id=c.id,
            name=c.name,
            contact_name=c.contact.name,
            contact_email=c.contact.email,
            head_name=c.head.name,
            head_email=c.head.email,
        )
        for c in plan.communities
    ]
    items = [
        tables.Item(
            campaign_id=cid,
            id=i.id,
            phase_id=p.id,
            title=i.label,
            owner=i.owner,
            kind=i.kind,
            due=str(i.due),
            yearly=i.yearly,
            optional=i.optional,
        )
        for p, i in plan.items()
    ]
    for table, rows in ((tables.Office, offices), (tables.Community, communities), (tables.Item, items)):
        _replace(session, table, cid, rows)


def _replace(session: Session, table: type[SQLModel], campaign_id: str, rows: list[Any]) -> None:
    """Upsert by id; rows no longer in the plan stay (history refers to them) but are marked inactive."""
    existing = {r.id: r for r in session.exec(select(table).where(table.campaign_id == campaign_id))}  # type: ignore[attr-defined]
    for row in rows:
        session.merge(row)
    kept = {r.id for r in rows}
    for key, row in existing.items():
        if hasattr(row, "active") and key not in kept:
            row.active = False
            session.add(row)


def _follow_due_changes(session: Session, plan: Plan) -> None:
    items = {i.id: i for _, i in plan.items()}
    open_work = session.exec(
        select(tables.Assignment).where(
            tables.Assignment.campaign_id == plan.campaign.id, col(tables.Assignment.completed_on).is_(None)
        )
    )
    extended = set(
        session.exec(
            select(tables.Extension.assignment_id).where(
                tables.Extension.campaign_id == plan.campaign.id, tables.Extension.status == "approved"
            )
        )
    )
    for assignment in open_work:
        item = items.get(assignment.item_id)
        if assignment.id in extended:
            continue  # an approved extension set this due day; the plan's day no longer applies
        if item is not None and (due := due_of(item, assignment.occurrence)) != assignment.due:
            assignment.due = due
            session.add(assignment)


def load_campaign(session: Session, campaign_id: str) -> Plan:
    """The plan as last loaded for this campaign."""
    campaign = session.get(tables.Campaign, campaign_id)
    if campaign is None:
        raise LookupError(f"campaign {campaign_id!r} is not loaded: run `greencomm up` or `greencomm plan load`")
    return normalise(Plan.model_validate(campaign.plan))


def record_audit(
    session: Session, campaign_id: str, *, actor: str, action: str, detail: dict[str, Any], now: datetime
) -> None:
    session.add(tables.Audit(campaign_id=campaign_id, at=now, actor=actor, action=action, detail=detail))


def today_in(plan: Plan, now: datetime) -> date:
    """Today's date in the campaign's timezone (the flows' default `as_of`)."""
    return local_day(plan.campaign.timezone, now)
