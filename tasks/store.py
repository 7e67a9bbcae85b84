"""Loading a plan into the database in place (SPEC §2), and reading it back for a run."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlmodel import Session, col, select

from models import tables
from models.plan import Plan
from models.plan_rules import normalise
from models.roster import is_imported, with_roster
from models.rules import due_of
from models.settings import Settings
from models.workcal import local_day
from tasks.db import session_scope


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


class Opened(NamedTuple):
    """What a step works with: the settings, a session (commits on success) and the campaign's plan."""

    session: Session
    plan: Plan
    settings: Settings


@contextmanager
def open_campaign(campaign_id: str) -> Iterator[Opened]:
    """The one preamble of every step run through Prefect: settings, session, plan as loaded."""
    settings = Settings()
    with session_scope(settings.database_url) as session:
        yield Opened(session, load_campaign(session, campaign_id), settings)


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
