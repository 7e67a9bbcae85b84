"""The one place that binds flows to a plan: every deployment `up` serves."""

from __future__ import annotations

from typing import Any

from prefect.deployments.runner import RunnerDeployment
from prefect.types.entrypoint import EntrypointType

from deployments.schedules import backup_schedule, daily_schedule, intake_schedule, monthly_schedule, weekly_schedule
from flows.approvals import approve_extension, confirm_claim
from flows.backup import campaign_backup
from flows.circular import campaign_circular
from flows.intake import mailbox_intake
from flows.phase import phase_flow
from flows.record import record_progress
from flows.report import campaign_report
from models.plan import Plan
from models.settings import Settings


def _built(deployment: object) -> RunnerDeployment:
    # to_deployment is typed sync-or-async; called from sync code it returns the deployment itself
    assert isinstance(deployment, RunnerDeployment)
    return deployment


def deployments(plan: Plan) -> list[RunnerDeployment]:
    """The phase deployments (daily), record-progress (by hand), campaign-report (weekly), campaign-circular
    (monthly), campaign-backup (working days), the desk's approvals (confirm-claim, approve-extension; started by
    the desk), and mailbox-intake (every 15 minutes in working hours; active once GREENCOMM_INTAKE_IMAP_HOST is set)."""
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
    backup = _built(
        campaign_backup.to_deployment(
            schedules=[backup_schedule(plan)], description="每个工作日20时备份数据库和材料（保留最近若干份）", **common
        )
    )
    approvals = [
        _built(confirm_claim.to_deployment(description="办结申报审核（由办理台发起，在此填写审核意见）", **common)),
        _built(approve_extension.to_deployment(description="延期申请审核（由办理台发起，在此填写审核意见）", **common)),
    ]
    intake = _built(
        mailbox_intake.to_deployment(
            schedules=[intake_schedule(plan, active=bool(Settings().intake_imap_host))],
            description="报送邮箱：每个工作时段每15分钟读取一次，登记报送材料，无法对应的列入待分拣",
            **common,
        )
    )
    return [*phases, record, report, circular, backup, *approvals, intake]
