"""The phase flows (SPEC §6): assign → check → escalate → compose → publish → deliver, once a day."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from prefect import Flow, flow
from prefect.runtime import flow_run
from pydantic import Field

from models.plan import local_day
from tasks import prefect_tasks as tasks
from tasks.day_run import DAY_STEPS

DEFAULT_TIMEZONE = "Asia/Shanghai"


def _run_name() -> str:
    """'<phase>-phase 2022-02-07': the day a supervisor looks for in the runs list."""
    parameters = flow_run.parameters
    start = flow_run.scheduled_start_time
    timezone = str(parameters.get("timezone") or DEFAULT_TIMEZONE)
    day = parameters.get("as_of") or (local_day(timezone, start).isoformat() if start else "today")
    mode = " (dry run)" if parameters.get("dry_run") else ""
    return f"{flow_run.flow_name} {day}{mode}"


async def run_phase(phase_id: str, campaign_id: str, as_of: date | None, dry_run: bool) -> dict[str, Any]:
    """One run: a constant number of task runs, whatever the number of communities or notices."""
    with tasks.one_client():
        day = tasks.resolve_day(campaign_id, as_of)
        if dry_run:
            return {"day": day.isoformat(), "would_send": tasks.preview(campaign_id, phase_id, day)}
        summary: dict[str, Any] = {"day": day.isoformat()}
        for step in DAY_STEPS:
            summary[step.counts] = tasks.run_step(step, campaign_id, phase_id, day)
        tasks.publish_artifacts(campaign_id, phase_id, day, summary)
    delivery = await tasks.deliver(campaign_id, phase_id)
    return summary | {"sent": delivery.sent}


def phase_flow(phase_id: str) -> Flow[..., Any]:
    """The flow `<phase>-phase` with parameters campaign_id, as_of, dry_run and the campaign's timezone."""

    async def phase_run(
        campaign_id: str,
        as_of: Annotated[date | None, Field(title="日期", description="按哪一天运行（空：今天）")] = None,
        dry_run: Annotated[bool, Field(title="试运行", description="只显示将通知谁，不发送")] = False,
        timezone: Annotated[str, Field(title="时区", description="活动所在时区（由部署设定）")] = DEFAULT_TIMEZONE,
    ) -> dict[str, Any]:
        return await run_phase(phase_id, campaign_id, as_of, dry_run)

    phase_run.__doc__ = f"Daily run of the {phase_id} phase: assign, check, escalate, deliver."
    # The served runner imports the flow by module path and this name (see __getattr__ below).
    phase_run.__name__ = phase_run.__qualname__ = f"{phase_id}_phase"
    return flow(name=f"{phase_id}-phase", flow_run_name=_run_name, persist_result=True)(phase_run)


def __getattr__(name: str) -> Flow[..., Any]:
    """`flows.phase.<phase>_phase` for any phase id a plan defines, not only the seed's three."""
    if name.endswith("_phase") and not name.startswith("_"):
        return phase_flow(name.removesuffix("_phase"))
    raise AttributeError(name)


pilot_phase = phase_flow("pilot")
promotion_phase = phase_flow("promotion")
consolidation_phase = phase_flow("consolidation")
