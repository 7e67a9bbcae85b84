"""The phase flows (SPEC §6): assign → check → escalate → compose → deliver → publish, once a day."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import Flow, flow
from prefect.runtime import flow_run

from tasks import phase_tasks as steps
from tasks.artifacts import publish


def _run_name() -> str:
    """'<phase>-phase 2022-02-07': the day a supervisor looks for in the runs list."""
    parameters = flow_run.parameters
    day = parameters.get("as_of") or _scheduled_day(str(parameters.get("campaign_id", "")))
    mode = " (dry run)" if parameters.get("dry_run") else ""
    return f"{flow_run.flow_name} {day}{mode}"


def _scheduled_day(campaign_id: str) -> str:
    from models import tables
    from models.settings import Settings
    from models.workcal import local_day
    from tasks.db import session_scope

    with session_scope(Settings().database_url) as session:
        campaign = session.get(tables.Campaign, campaign_id)
    start = flow_run.scheduled_start_time
    return local_day(campaign.timezone, start).isoformat() if campaign and start else "today"


async def run_phase(phase_id: str, campaign_id: str, as_of: date | None, dry_run: bool) -> dict[str, Any]:
    """One run: a constant number of task runs, whatever the number of communities or notices."""
    day = steps.resolve_day(campaign_id, as_of)
    if dry_run:
        return {"day": day.isoformat(), "would_send": steps.preview(campaign_id, phase_id, day)}
    assigned = steps.assign(campaign_id, phase_id, day)
    completed = steps.check_completion(campaign_id, phase_id, day)
    notices = steps.escalate_notices(campaign_id, phase_id, day)
    emails = steps.compose(campaign_id, phase_id, day)
    summary = {
        "day": day.isoformat(),
        "assigned": assigned,
        "completed": completed,
        "notices": notices,
        "emails": emails,
    }
    publish(campaign_id, phase_id, day, summary)
    delivery = await steps.deliver_with_retries()(campaign_id, phase_id)
    return summary | {"sent": delivery.sent}


def phase_flow(phase_id: str) -> Flow[..., Any]:
    """The flow `<phase>-phase` with parameters campaign_id, as_of and dry_run."""

    async def phase_run(campaign_id: str, as_of: date | None = None, dry_run: bool = False) -> dict[str, Any]:
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
