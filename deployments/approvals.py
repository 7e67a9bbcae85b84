"""Starting the approval flow runs the desk asks for: a claim → confirm-claim, an extension → approve-extension."""

from __future__ import annotations

from models.settings import Settings
from tasks import desk_actions
from tasks.db import session_scope
from tasks.desk_actions import Filed

FLOWS = {"claim": "confirm-claim", "extension": "approve-extension"}


def start_approval(filed: Filed) -> None:
    """A flow run of the campaign's approval deployment, not waited for (it pauses for a decision in the UI)."""
    from prefect.deployments import run_deployment

    parameter = "claim_id" if filed.kind == "claim" else "extension_id"
    run_deployment(
        f"{FLOWS[filed.kind]}/{filed.campaign}",
        parameters={"campaign_id": filed.campaign, parameter: filed.id, "requested_by": filed.by},
        timeout=0,
    )


def reopen_waiting(settings: Settings) -> int:
    """After a restart of `up`: the runs that waited died with the old process, so each request waits anew.

    The old runs (paused in a process that is gone) are cancelled so the UI never offers a form nobody reads;
    every claim and extension request still pending gets a fresh run. Returns how many were started.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Cancelled

    alive = [StateType.PAUSED, StateType.RUNNING, StateType.PENDING, StateType.SCHEDULED]
    with get_client(sync_client=True) as client:
        stale = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=list(FLOWS.values()))),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=alive))),
        )
        for run in stale:
            client.set_flow_run_state(run.id, Cancelled(message="上次运行已停止，已重新发起审核"), force=True)
    with session_scope(settings.database_url) as session:
        waiting = desk_actions.waiting_requests(session)
    for filed in waiting:
        start_approval(filed)
    return len(waiting)
