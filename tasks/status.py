"""Where the campaign stands on a day, read from the database in one pass per table."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from models import standing, tables
from models.plan import Plan
from models.standing import Standing, dead_letter
from tasks.delivery import dead_letters
from tasks.report import target_lines
from tasks.work import assessment_marks


def status(session: Session, plan: Plan, day: date) -> Standing:
    rows = list(session.exec(select(tables.Assignment).where(tables.Assignment.campaign_id == plan.campaign.id)))
    return Standing(
        campaign=plan.campaign.id,
        as_of=day,
        assignments=standing.counts(rows, day),
        overdue=standing.overdue(plan, rows, day),
        targets=target_lines(session, plan, day),
        standards=standing.standards_matrix(plan, assessment_marks(session, plan.campaign.id), day),
        undeliverable=[dead_letter(row) for row in dead_letters(session, plan.campaign.id)],
    )
