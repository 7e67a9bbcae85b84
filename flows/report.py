"""`campaign-report`: every week, where the campaign stands, e-mailed to the leading group office."""

from __future__ import annotations

from datetime import date

from prefect import flow

from tasks.prefect_tasks import compose_report, deliver
from tasks.reports import REPORT


@flow(name="campaign-report", flow_run_name="campaign-report {campaign_id}")
async def campaign_report(campaign_id: str, as_of: date | None = None) -> int:
    """周报: targets over the weeks as a chart, overdue items, what changed; sent once per day at most."""
    compose_report(campaign_id, as_of)
    delivery = await deliver(campaign_id, REPORT)
    return int(delivery.sent)
