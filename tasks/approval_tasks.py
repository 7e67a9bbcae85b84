"""The Prefect tasks of the approval flows: each one step over tasks/approvals.py in its own transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import task

from models.receipts import Kind
from tasks import approvals
from tasks.store import open_campaign


@task(name="decision-window")
def decision_window(campaign_id: str, kind: Kind, request_id: int) -> int:
    """Seconds the request may wait for a decision (GREENCOMM_APPROVAL_TIMEOUT_DAYS working days)."""
    with open_campaign(campaign_id) as (session, plan, settings):
        days = settings.approval_timeout_days
        return approvals.seconds_left(session, plan, kind, request_id, days, datetime.now(UTC))


@task(name="apply-decision")
def apply_decision(
    campaign_id: str, kind: Kind, request_id: int, approve: bool, comment: str, decided_by: str, requested_by: str
) -> str:
    """The decision applied by SPEC §2, audited with who decided, and the receipt in the outbox."""
    with open_campaign(campaign_id) as (session, plan, settings):
        return approvals.decide(
            session,
            plan,
            kind,
            request_id,
            approve=approve,
            comment=comment,
            decided_by=decided_by,
            requested_by=requested_by,
            now=datetime.now(UTC),
            mail_from=settings.mail_from,
        )


@task(name="decision-overdue")
def decision_overdue(campaign_id: str, kind: Kind, request_id: int) -> None:
    """Nobody decided in time: a notice to the leading group office; the request stays pending."""
    with open_campaign(campaign_id) as (session, plan, settings):
        days = settings.approval_timeout_days
        approvals.expire(
            session, plan, kind, request_id, working_days=days, now=datetime.now(UTC), mail_from=settings.mail_from
        )
