"""Whether today is a rest day for the campaign, and whether its first notices are still to come."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from models import tables
from models.ops import RestDay, rest_day
from models.plan import Plan


def rest_day_of(session: Session, plan: Plan, day: date) -> RestDay | None:
    """On a rest day, when the notices go out next (the first ones while none is stored)."""
    stored = session.exec(select(tables.Notice.id).where(tables.Notice.campaign_id == plan.campaign.id).limit(1))
    return rest_day(plan, day, first=stored.first() is None)
