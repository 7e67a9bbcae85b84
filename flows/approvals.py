"""`confirm-claim` and `approve-extension` (SPEC §7): a request from the desk waits for a decision, holding nothing.

The run suspends (Prefect's suspend_flow_run): it leaves its process and the runner's slot, shows Suspended in the UI
with its Resume form, and survives restarts of `up` as the same run. A resume (the UI's form, or the desk's 同意 /
退回 links) reschedules it through its deployment, and Prefect runs the flow again from the top: the same suspend
call (same key) then returns the decision. So every step before it is idempotent and the state lives in our
database, not in Prefect results. A 退回 without a comment, or an extension answered while its item's claim
waits, suspends again under the next key, saying why.
Prefect never times the wait out (timeout None): the daily phase run tells the leading group office of a request
left undecided (逾期未审核, tasks/approvals/deciding.py).
"""

from __future__ import annotations

from prefect import flow
from prefect.flow_runs import asuspend_flow_run
from prefect.input import RunInput

from models.approvals import DecisionInput, Kind, decision_form
from tasks.approvals import DESK, Prepared, apply_decision, claim_first, prepare_decision
from tasks.prefect_tasks import deliver

MAX_ATTEMPTS = 20  # forms sent back for a missing comment, before the run gives up (it fails; the request waits)


def resume_form(prepared: Prepared, problem: str) -> type[RunInput]:
    """The Resume form: the plan's entitled people as the only choice of 审核人, and the text of what is decided."""
    base = decision_form(prepared.deciders)
    text = f"**{problem}请重新填写。**\n\n{prepared.description}" if problem else prepared.description
    form: type[RunInput] = RunInput.subclass_from_base_model_type(base).with_initial_data(description=text)
    return form


async def decision_of(prepared: Prepared, campaign_id: str, kind: Kind, request_id: int) -> DecisionInput:
    """Suspend until a decision arrives under key `decision-1`, `decision-2`, … (replayed alike after a resume).

    An answer is asked again when it is incomplete (退回 without a comment) or comes too early (an extension whose
    item's claim still waits: the claim is decided first)."""
    problem = ""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        answer = await asuspend_flow_run(
            wait_for_input=resume_form(prepared, problem), key=f"decision-{attempt}", timeout=None
        )
        decision = DecisionInput.model_validate(answer.model_dump(include=set(DecisionInput.model_fields)))
        if not (problem := decision.problem() or claim_first(campaign_id, kind, request_id, attempt)):
            return decision
    raise RuntimeError(f"no valid decision after {MAX_ATTEMPTS} forms")


async def decide_request(campaign_id: str, kind: Kind, request_id: int) -> str:
    """Wait for the decision (unless it was taken meanwhile), apply it, mail the receipts at once."""
    prepared = prepare_decision(campaign_id, kind, request_id)
    outcome = "decided-elsewhere"
    if prepared is not None:
        await deliver(campaign_id, DESK)  # the 待审核 notices, before the run leaves its process
        decision = await decision_of(prepared, campaign_id, kind, request_id)
        applied = apply_decision(campaign_id, kind, request_id, decision.approve, decision.comment, decision.decided_by)
        outcome = applied.outcome
    await deliver(campaign_id, DESK)
    return outcome


@flow(name="confirm-claim")
async def confirm_claim(campaign_id: str, claim_id: int) -> str:
    """办结申报审核：督办科室确认或退回。"""
    return await decide_request(campaign_id, "claim", claim_id)


@flow(name="approve-extension")
async def approve_extension(campaign_id: str, extension_id: int) -> str:
    """延期申请审核：领导小组办公室同意或退回。"""
    return await decide_request(campaign_id, "extension", extension_id)
