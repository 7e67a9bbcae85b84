"""One phase run for one day, step by step: the plain functions the flow's tasks and `simulate` share."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from models.digest import build_digests
from models.mail import Digest
from models.plan import Plan
from tasks.escalate import escalate
from tasks.outbox import Delivery, claim, compose, notice_facts, send_claimed, settle
from tasks.smtp import SmtpConfig
from tasks.work import assign, check_completion


def run_day(session: Session, plan: Plan, phase_id: str, day: date, *, mail_from: str) -> None:
    """Assign, check, escalate and compose in order, as the flow's tasks do."""
    assign(session, plan, phase_id, day)
    check_completion(session, plan, phase_id, day)
    escalate(session, plan, phase_id, day, dry_run=False)
    session.flush()
    compose(session, plan, phase_id, day, mail_from=mail_from)


def preview_day(session: Session, plan: Plan, phase_id: str, day: date) -> list[Digest]:
    """The digests a run of `day` would send; everything it wrote is rolled back."""
    assign(session, plan, phase_id, day)
    check_completion(session, plan, phase_id, day)
    notices = escalate(session, plan, phase_id, day, dry_run=True)
    digests = build_digests(plan, phase_id, day, notices, notice_facts(session, plan, notices, day))
    session.rollback()
    return digests


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
