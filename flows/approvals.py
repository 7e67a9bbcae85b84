"""`confirm-claim` and `approve-extension` (SPEC §7): a request from the desk waits for a decision in the UI.

Each run pauses with a form (Decision); the supervisor resumes it in the Prefect UI with 同意 or 不同意, a
comment and their name. A request nobody decides within the window stays pending, and the leading group
office is told.
"""

from __future__ import annotations

from prefect import flow
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import apause_flow_run  # pause_flow_run for async flows
from prefect.input import RunInput
from pydantic import Field

from models.receipts import Kind
from tasks.approval_tasks import apply_decision, decision_overdue, decision_window
from tasks.approvals import DESK
from tasks.prefect_tasks import deliver

GUIDE = {
    "claim": "请核实该事项是否确已办结：同意即确认办结，不同意则退回继续办理。",
    "extension": "请审核延期申请：同意即将完成时限调整为申请的日期，不同意则原时限不变。",
}


class Decision(RunInput):
    """审核意见"""

    approve: bool = Field(default=False, title="同意", description="勾选为同意，不勾选为不同意")
    comment: str = Field(default="", title="意见", description="审核意见，将随回执发送给申请单位")
    decided_by: str = Field(title="审核人", min_length=1, max_length=100, description="审核人姓名及所在科室")


async def decide_request(campaign_id: str, kind: Kind, request_id: int, requested_by: str) -> str:
    """Wait for the decision, apply it and mail the receipt at once; or, past the window, tell the office."""
    seconds = decision_window(campaign_id, kind, request_id)
    form = Decision.with_initial_data(description=GUIDE[kind])
    try:
        decision = await apause_flow_run(wait_for_input=form, timeout=seconds)
    except FlowPauseTimeout:
        decision_overdue(campaign_id, kind, request_id)
        await deliver(campaign_id, DESK)
        return "timed-out"
    outcome = apply_decision(
        campaign_id, kind, request_id, decision.approve, decision.comment, decision.decided_by.strip(), requested_by
    )
    await deliver(campaign_id, DESK)
    return str(outcome)


@flow(name="confirm-claim", flow_run_name="confirm-claim {campaign_id} #{claim_id}")
async def confirm_claim(campaign_id: str, claim_id: int, requested_by: str) -> str:
    """办结申报审核：督办科室确认或退回。"""
    return await decide_request(campaign_id, "claim", claim_id, requested_by)


@flow(name="approve-extension", flow_run_name="approve-extension {campaign_id} #{extension_id}")
async def approve_extension(campaign_id: str, extension_id: int, requested_by: str) -> str:
    """延期申请审核：领导小组办公室同意或不同意。"""
    return await decide_request(campaign_id, "extension", extension_id, requested_by)
