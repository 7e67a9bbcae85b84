"""Starting a request's approval flow run (a claim → confirm-claim, an extension → approve-extension): here, under
tasks/, so the desk (deployments.approvals.start_approval, through prefect_calls) and the mailbox's flow
(flows/intake.py) start them alike.

One run per request: the run is created with an idempotency key carrying the filing's time; a run that ended
undecided is replaced under a new key.
"""

from __future__ import annotations

from models.approvals import run_name
from models.settings import Settings
from tasks.approvals.dossiers import filings, record_run
from tasks.approvals.requests import Filed, request_of
from tasks.db import session_scope
from tasks.store import load_campaign

FLOWS = {"claim": "confirm-claim", "extension": "approve-extension"}
PARAMETER = {"claim": "claim_id", "extension": "extension_id"}


def start_run(filed: Filed) -> None:
    """The request's flow run of the campaign's approval deployment, named for what is decided; not waited for."""
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    settings = Settings()
    with session_scope(settings.database_url) as session:
        name = run_name(request_of(session, load_campaign(session, filed.campaign), filed.kind, filed.id))
        filing = filings(session, filed.kind, filed.campaign).get(filed.id)
    # One run per request, even if asked twice; the filing's time tells this request from one of a database
    # started afresh against the same Prefect server, and a run that ended undecided is replaced under a new key.
    attempt = f"{filing.at.isoformat() if filing else ''}/{filed.run or ''}"
    run = run_deployment(
        f"{FLOWS[filed.kind]}/{filed.campaign}",
        parameters={"campaign_id": filed.campaign, PARAMETER[filed.kind]: filed.id},
        flow_run_name=name,
        idempotency_key=f"{filed.campaign}/{filed.kind}/{filed.id}/{attempt}",
        timeout=0,
        as_subflow=False,
    )
    assert isinstance(run, FlowRun)
    with session_scope(settings.database_url) as session:
        record_run(session, filed.kind, filed.id, str(run.id))
