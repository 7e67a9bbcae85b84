"""`campaign-circular`: on the first working day of each month, the 通报 to the leading group and every office."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from prefect import flow
from pydantic import Field

from tasks.prefect_tasks import circular_due, compose_circular, deliver, one_client, publish_circular, resolve_day
from tasks.reports import CIRCULAR


@flow(name=CIRCULAR, flow_run_name="campaign-circular {campaign_id}")
async def campaign_circular(
    campaign_id: str,
    as_of: Annotated[date | None, Field(title="日期", description="按哪一天通报（空：今天）")] = None,
    force: Annotated[bool, Field(title="不限首个工作日", description="非每月首个工作日也发送")] = False,
) -> int:
    """月度通报. Scheduled on days 1-10 of each month; only the month's first working day sends (once)."""
    with one_client():
        day = resolve_day(campaign_id, as_of)
        if not force and not circular_due(campaign_id, day):
            return 0
        compose_circular(campaign_id, day)
        publish_circular(campaign_id, day)
    delivery = await deliver(campaign_id, CIRCULAR)
    return int(delivery.sent)
