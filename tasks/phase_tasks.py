"""Prefect tasks of a phase run: one I/O step each, each over the plain functions of tasks/."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from prefect import task

from models.settings import Settings
from tasks import day_run, escalate, outbox, work
from tasks.db import session_scope, upgrade
from tasks.outbox import Delivery
from tasks.smtp import SmtpConfig
from tasks.store import load_campaign, today_in


@task(name="resolve-day")
def resolve_day(campaign_id: str, as_of: date | None) -> date:
    """The run's day: `as_of`, or today in the campaign's timezone."""
    settings = Settings()
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        plan = load_campaign(session, campaign_id)
    return as_of or today_in(plan, datetime.now(UTC))


@task(name="assign")
def assign(campaign_id: str, phase_id: str, day: date) -> int:
    with session_scope(Settings().database_url) as session:
        return work.assign(session, load_campaign(session, campaign_id), phase_id, day)


@task(name="check-completion")
def check_completion(campaign_id: str, phase_id: str, day: date) -> int:
    with session_scope(Settings().database_url) as session:
        return work.check_completion(session, load_campaign(session, campaign_id), phase_id, day)


@task(name="escalate")
def escalate_notices(campaign_id: str, phase_id: str, day: date) -> int:
    with session_scope(Settings().database_url) as session:
        return len(escalate.escalate(session, load_campaign(session, campaign_id), phase_id, day, dry_run=False))


@task(name="compose-digests")
def compose(campaign_id: str, phase_id: str, day: date) -> int:
    settings = Settings()
    with session_scope(settings.database_url) as session:
        plan = load_campaign(session, campaign_id)
        return len(outbox.compose(session, plan, phase_id, day, mail_from=settings.mail_from))


@task(name="deliver")
async def deliver(campaign_id: str, phase_id: str) -> Delivery:
    """Send the outbox; raises (so the run shows red) if anything stays undelivered after retries."""
    settings = Settings()
    config = SmtpConfig.from_settings(settings)
    if config is None:
        return Delivery(0, [])
    with session_scope(settings.database_url) as session:
        plan = load_campaign(session, campaign_id)
        result = await day_run.deliver(
            session, plan, phase_id, config, now=datetime.now(UTC), concurrency=settings.smtp_concurrency
        )
    if result.failed:
        raise RuntimeError(f"{len(result.failed)} e-mail(s) undelivered: " + "; ".join(result.failed[:5]))
    return result


def deliver_with_retries() -> Any:
    """The deliver task with the retry policy from settings (the outbox also retries on the next run)."""
    delays = Settings().delivery_retry_delays
    return deliver.with_options(retries=len(delays), retry_delay_seconds=delays)


@task(name="dry-run")
def preview(campaign_id: str, phase_id: str, day: date) -> list[dict[str, Any]]:
    """Who would be notified and why; stores nothing."""
    settings = Settings()
    with session_scope(settings.database_url) as session:
        plan = load_campaign(session, campaign_id)
        digests = day_run.preview_day(session, plan, phase_id, day)
    return [
        {
            "to": d.recipient.email,
            "name": d.recipient.name,
            "notices": [
                {
                    "item": n.item_id,
                    "assignee": n.assignee_label,
                    "stage": n.stage,
                    "cycle": n.cycle,
                    "due": n.due.isoformat() if n.due else None,
                    "why": n.reason,
                }
                for n in d.notices
            ],
        }
        for d in digests
    ]
