"""Starting the approval flow runs the desk asks for (a claim → confirm-claim, an extension → approve-extension),
and resuming them with a decision taken at the desk.

One run per request: the run is created with an idempotency key, and a restart of `up` leaves the waiting
(suspended) runs as they are. It only starts a run for a request that has none (Prefect was down when it was
filed) or whose run ended without a decision (e.g. cancelled by a stop in the second it was suspending).
"""

from __future__ import annotations

from uuid import UUID

from deployments.prefect_env import prefect_calls
from models.settings import Settings
from tasks.approvals import Filed, start_run, waiting_requests
from tasks.db import session_scope


def start_approval(filed: Filed) -> None:
    """The request's approval run (tasks.approvals.start_run), from a greencomm process: through prefect_calls."""
    with prefect_calls():
        start_run(filed)


def start_missing(settings: Settings) -> int:
    """After a restart of `up`: every waiting request without a live run gets one; how many were started."""
    with session_scope(settings.database_url) as session:
        waiting = waiting_requests(session)
    ended = _ended([UUID(filed.run) for filed in waiting if filed.run])
    missing = [filed for filed in waiting if filed.run is None or filed.run in ended]
    for filed in missing:
        start_approval(filed)
    return len(missing)


def _ended(run_ids: list[UUID]) -> set[str]:
    """Those of the runs that are gone or in a final state (no Resume form will ever come back)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    if not run_ids:
        return set()
    with prefect_calls(), get_client(sync_client=True) as client:
        found = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=run_ids)))
    alive = {str(run.id) for run in found if run.state is not None and not run.state.is_final()}
    return {str(run_id) for run_id in run_ids} - alive


def resume_approval(run_id: str, run_input: dict[str, str]) -> bool:
    """Resume the request's suspended run with a decision taken at the desk: True when this resume was accepted
    (the run was still waiting: this decision is the first), False when another path resumed it first."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.responses import SetStateStatus

    with prefect_calls(), get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(run_id))
        if run.state is None or not run.state.is_paused():
            return False
        return client.resume_flow_run(UUID(run_id), run_input=run_input).status == SetStateStatus.ACCEPT
