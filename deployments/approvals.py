"""Starting the approval flow runs the desk asks for: a claim → confirm-claim, an extension → approve-extension."""

from __future__ import annotations

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
