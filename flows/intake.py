"""`mailbox-intake` (SPEC §9): every 15 minutes in working hours, the campaign mailbox read once: what units sent is
filed as their claims (each waiting for a decider in its approval run) or waits as 待分拣; receipts go out at once."""

from __future__ import annotations

from prefect import flow

from tasks.intake import INTAKE
from tasks.prefect_tasks import deliver, read_mail, start_approvals


@flow(name="mailbox-intake", flow_run_name="mailbox-intake {campaign_id}")
async def mailbox_intake(campaign_id: str) -> str:
    """报送邮箱：登记新邮件中的报送材料，无法对应事项的列入待分拣。"""
    done = read_mail(campaign_id)
    start_approvals(done.started)
    await deliver(campaign_id, INTAKE)
    return done.line()
