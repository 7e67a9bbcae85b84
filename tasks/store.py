"""Loading a plan into the database in place (SPEC §2), and reading it back for a run."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, func, update
from sqlmodel import Session, col, select

from models import tables
from models.engine import due_of
from models.plan import STORED, Plan, PlanError, local_day, normalise
from models.records import is_imported, with_roster
from models.settings import Settings
from models.vocabulary import ExtensionStatus, Stage, StageKind
from tasks.db import session_scope


def plan_json(plan: Plan) -> dict[str, Any]:
    return plan.model_dump(mode="json", by_alias=True)


def sync_plan(session: Session, plan: Plan, *, actor: str, now: datetime, shift_days: int = 0) -> dict[str, Any]:
    """Insert or update the campaign; ids are stable, open work follows changed due days; audited. PlanError
    refuses a plan that drops a ladder stage notices not yet sent are of."""
    campaign = session.get(tables.Campaign, plan.campaign.id)
    old = stored_plan(campaign) if campaign else None
    if old and is_imported(old) and not is_imported(plan):
        plan = with_roster(plan, old.communities)  # an imported roster outlives plan reloads
    data = plan_json(plan)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    if campaign and campaign.plan_digest == digest:
        return {}
    if old and (problems := dropped_stages(session, old, plan)):
        raise PlanError(problems)
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


def dropped_stages(session: Session, old: Plan, new: Plan) -> list[str]:
    """One line per ladder stage the new plan drops while notices of it wait to be composed and sent: their
    e-mails would have to word a stage the plan no longer has."""
    n = tables.Notice
    waiting = session.exec(
        select(n.phase_id, n.stage, func.count())
        .where(n.campaign_id == new.campaign.id, col(n.outbox_done).is_(False))
        .group_by(col(n.phase_id), col(n.stage))
    )
    lines = []
    for phase_id, name, count in sorted(waiting):
        stage = Stage.parse(name)
        if stage.kind is StageKind.OVERDUE and stage.rung(new.escalation) is None:
            lines.append(
                f"escalation.ladder: stage {stage} ({stage.label(old.escalation)}) is dropped, but {count} notices of"
                f" it in phase {phase_id} are not sent yet; load this plan after that phase's next run, or keep the"
                " stage until then"
            )
    return lines


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
    """Open work takes its item's due day: one UPDATE per item (per year for a yearly day), only where it differs."""
    extended = select(tables.Extension.assignment_id).where(
        tables.Extension.campaign_id == plan.campaign.id, tables.Extension.status == ExtensionStatus.APPROVED
    )  # an approved extension set these due days; the plan's day no longer applies
    for _, item in plan.items():
        open_work: list[ColumnElement[bool]] = [
            col(tables.Assignment.campaign_id) == plan.campaign.id,
            col(tables.Assignment.item_id) == item.id,
            col(tables.Assignment.completed_on).is_(None),
            col(tables.Assignment.id).not_in(extended),
        ]
        if isinstance(item.due, date):
            _set_due(session, open_work, item.due)
            continue
        years = list(session.exec(select(tables.Assignment.occurrence).where(*open_work).distinct()))
        for occurrence in years:
            _set_due(session, [*open_work, col(tables.Assignment.occurrence) == occurrence], due_of(item, occurrence))


def _set_due(session: Session, where: list[ColumnElement[bool]], due: date) -> None:
    session.execute(
        update(tables.Assignment)
        .where(*where, col(tables.Assignment.due) != due)
        .values(due=due)
        .execution_options(synchronize_session="fetch")
    )


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
    """The plan as last loaded for this campaign: parsed once per process and digest, then shared (read-only)."""
    digest = session.exec(select(tables.Campaign.plan_digest).where(tables.Campaign.id == campaign_id)).first()
    if digest is None:
        raise LookupError(f"campaign {campaign_id!r} is not loaded: run `greencomm up` or `greencomm plan load`")
    cached = _PARSED.get(campaign_id)
    if cached is not None and cached[0] == digest:
        return cached[1]
    campaign = session.get(tables.Campaign, campaign_id)
    assert campaign is not None  # its digest was just read in this transaction
    plan = stored_plan(campaign)
    _PARSED[campaign_id] = (digest, plan)  # the newest plan of each campaign only: memory stays flat
    return plan


_PARSED: dict[str, tuple[str, Plan]] = {}  # campaign id → (plan digest, plan parsed from it)


def stored_plan(campaign: tables.Campaign) -> Plan:
    """A stored plan parsed again: its addresses and texts were checked when it was loaded, not again."""
    return normalise(Plan.model_validate(campaign.plan, context=STORED))


def record_audit(
    session: Session, campaign_id: str, *, actor: str, action: str, detail: dict[str, Any], now: datetime
) -> None:
    session.add(tables.Audit(campaign_id=campaign_id, at=now, actor=actor, action=action, detail=detail))


def today_in(plan: Plan, now: datetime) -> date:
    """Today's date in the campaign's timezone (the flows' default `as_of`)."""
    return local_day(plan.campaign.timezone, now)
