"""One phase run for one day, step by step: the plain functions the flow's tasks and `simulate` share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from models import tables
from models.plan import Plan
from tasks.escalate import escalate
from tasks.outbox import Delivery, claim, compose, send_claimed, settle
from tasks.smtp import SmtpConfig
from tasks.work import assign, check_completion


@dataclass
class RunResult:
    phase_id: str
    day: date
    assigned: int = 0
    completed: int = 0
    notices: list[tables.Notice] = field(default_factory=list)
    emails: list[tables.Outbox] = field(default_factory=list)
    delivery: Delivery | None = None


def prepare(session: Session, plan: Plan, phase_id: str, day: date, *, dry_run: bool, mail_from: str) -> RunResult:
    """Assign, check, escalate and compose in order (a dry run stores nothing)."""
    result = RunResult(phase_id, day)
    result.assigned = assign(session, plan, phase_id, day)
    result.completed = check_completion(session, plan, phase_id, day)
    result.notices = escalate(session, plan, phase_id, day, dry_run=dry_run)
    if dry_run:
        session.rollback()
    else:
        session.flush()
        result.emails = compose(session, plan, phase_id, day, mail_from=mail_from)
    return result


async def deliver(
    session: Session, plan: Plan, phase_id: str, config: SmtpConfig, *, now: datetime, concurrency: int
) -> Delivery:
    """Send the phase's unsent e-mails: claim them (committed first), send, then record the outcome."""
    rows = claim(session, plan.campaign.id, phase_id, now)
    session.commit()
    errors = await send_claimed(rows, config, concurrency=concurrency)
    delivery = settle(session, rows, errors, now)
    session.commit()
    return delivery
