"""`campaign-report`: every week, where the campaign stands, e-mailed to the leading group office."""

from __future__ import annotations

from datetime import UTC, date, datetime

from prefect import flow, task

from models.settings import Settings
from tasks import phase_tasks
from tasks.db import session_scope
from tasks.store import load_campaign, today_in
from tasks.weekly import REPORT, store_report


@task(name="compose-report")
def compose_report(campaign_id: str, as_of: date | None) -> bool:
    settings = Settings()
    with session_scope(settings.database_url) as session:
        plan = load_campaign(session, campaign_id)
        day = as_of or today_in(plan, datetime.now(UTC))
        return store_report(session, plan, day, mail_from=settings.mail_from)


@flow(name="campaign-report", flow_run_name="campaign-report {campaign_id}")
async def campaign_report(campaign_id: str, as_of: date | None = None) -> int:
    """周报: targets over the weeks as a chart, overdue items, what changed; sent once per day at most."""
    compose_report(campaign_id, as_of)
    delivery = await phase_tasks.deliver_with_retries()(campaign_id, REPORT)
    return int(delivery.sent)
