"""The one place that binds flows to a plan: every deployment `up` serves."""

from __future__ import annotations

from typing import Any

from prefect.deployments.runner import RunnerDeployment
from prefect.types.entrypoint import EntrypointType

from deployments.schedules import daily_schedule, monthly_schedule, weekly_schedule
from flows.approvals import approve_extension, confirm_claim
from flows.circular import campaign_circular
from flows.phase import phase_flow
from flows.record import record_progress
from flows.report import campaign_report
from models.plan import Plan


def _built(deployment: object) -> RunnerDeployment:
    # to_deployment is typed sync-or-async; called from sync code it returns the deployment itself
    assert isinstance(deployment, RunnerDeployment)
    return deployment


def deployments(plan: Plan) -> list[RunnerDeployment]:
    """The phase deployments (daily), record-progress (by hand), campaign-report (weekly), campaign-circular
    (monthly), and the desk's approvals (confirm-claim, approve-extension; started by the desk)."""
    cid = plan.campaign.id
    common: dict[str, Any] = {
        "name": cid,
        "parameters": {"campaign_id": cid},
        "tags": [cid, "greencomm"],
        "entrypoint_type": EntrypointType.MODULE_PATH,
    }
    phases = [
        _built(
            phase_flow(phase.id).to_deployment(
                schedules=[daily_schedule(plan, phase.id)],
                description=f"{phase.name}（{phase.start} → {phase.end}）每日 {plan.campaign.run_at}",
                **common | {"parameters": {"campaign_id": cid, "timezone": plan.campaign.timezone}},
            )
        )
        for phase in plan.phases
    ]
    record = _built(record_progress.to_deployment(description="记录进展（完成事项 / 列入名单 / 评估标准）", **common))
    report = _built(
        campaign_report.to_deployment(
            schedules=[weekly_schedule(plan)], description="每周向领导小组办公室报送创建进展", **common
        )
    )
    circular = _built(
        campaign_circular.to_deployment(
            schedules=[monthly_schedule(plan)], description="每月首个工作日向领导小组及各成员单位通报进展", **common
        )
    )
    approvals = [
        _built(confirm_claim.to_deployment(description="办结申报审核（由办理台发起，在此填写审核意见）", **common)),
        _built(approve_extension.to_deployment(description="延期申请审核（由办理台发起，在此填写审核意见）", **common)),
    ]
    return [*phases, record, report, circular, *approvals]
