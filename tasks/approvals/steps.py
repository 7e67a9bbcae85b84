"""The Prefect tasks of the approval flows: each one step over tasks/approvals in its own transaction.

A suspended run is re-executed from the top when it is resumed (flows/approvals.py), so every step here is
idempotent: preparing again publishes the same artifacts, applying again finds the decision applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run
from sqlmodel import Session

from models.approvals import Decider, Kind, deciders, dossier_markdown, form_description
from models.desk import decision_links
from models.plan import Plan
from models.settings import Settings
from tasks.approvals import deciding, dossiers
from tasks.approvals.claim_files import FileLine, as_markdown, claim_files
from tasks.signing import desk_secret
from tasks.store import open_campaign

NOTHING_WAITS = [{"说明": "目前没有待审核的办结申报或延期申请"}]


@dataclass(frozen=True)
class Prepared:
    """What the run's Resume form needs: the people who may decide and the form's text."""

    deciders: list[str]
    description: str


@task(name="prepare-decision", persist_result=False)
def prepare_decision(campaign_id: str, kind: Kind, request_id: int) -> Prepared | None:
    """The request's dossier as a run artifact, the run recorded on the request, the waiting list published;
    None when the request no longer waits (decided meanwhile, e.g. from the desk): nothing to ask."""
    now = datetime.now(UTC)
    with open_campaign(campaign_id) as (session, plan, settings):
        if not dossiers.is_waiting(session, kind, request_id):
            return None
        dossiers.record_run(session, kind, request_id, str(flow_run.id))
        dossier = dossiers.dossier_of(session, plan, kind, request_id, now)
        people = deciders(plan, kind, dossier.item)
        office = plan.leading_group.office_director.email  # the Prefect UI is the supervisors'
        linked = replace(dossier, materials=as_markdown(_files(session, plan, kind, request_id, office, settings)))
        create_markdown_artifact(dossier_markdown(plan, linked), description="审核材料")
        links = _decision_links(settings, plan, kind, request_id)
        deciding.ask_deciders(
            session,
            plan,
            kind,
            request_id,
            people,
            links=links,
            now=now,
            mail_from=settings.mail_from,
            files=lambda person: _files(session, plan, kind, request_id, person.email, settings),
        )
        publish_pending(session, plan, settings, now)
        return Prepared([p.label for p in people], form_description(dossier, people))


@task(name="claim-first", persist_result=False)
def claim_first(campaign_id: str, kind: Kind, request_id: int, attempt: int) -> str:
    """Why an extension's answer cannot be applied yet (its item's claim waits, SPEC §7), else ''."""
    if kind != "extension":
        return ""
    with open_campaign(campaign_id) as (session, plan, _):
        return deciding.claim_first(session, plan, request_id, attempt, now=datetime.now(UTC))


@task(name="apply-decision", persist_result=False)
def apply_decision(
    campaign_id: str, kind: Kind, request_id: int, approve: bool, comment: str, decided_by: str
) -> deciding.Applied:
    """The decision applied by SPEC §2, audited with who decided, the receipts in the outbox, the list published."""
    now = datetime.now(UTC)
    with open_campaign(campaign_id) as (session, plan, settings):
        applied = deciding.decide(
            session,
            plan,
            kind,
            request_id,
            approve=approve,
            comment=comment,
            decided_by=decided_by,
            now=now,
            mail_from=settings.mail_from,
        )
        session.flush()
        publish_pending(session, plan, settings, now)
    if applied.withdrawn_run:
        _cancel(applied.withdrawn_run)
    return applied


def _cancel(run_id: str) -> None:
    """The run of an extension request withdrawn: no form left waiting in the UI for nothing."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled

    with get_client(sync_client=True) as client:
        client.set_flow_run_state(UUID(run_id), Cancelled(message="该事项已确认办结，延期申请撤回"), force=True)


def _files(
    session: Session, plan: Plan, kind: Kind, request_id: int, reader: str, settings: Settings
) -> list[FileLine]:
    """A claim's files (SPEC §8), linked for one reader; an extension request has none."""
    return claim_files(session, plan, request_id, reader=reader, settings=settings) if kind == "claim" else []


def _decision_links(
    settings: Settings, plan: Plan, kind: Kind, request_id: int
) -> Callable[[Decider], tuple[str, str]] | None:
    """Each decider's signed 同意 / 退回 links, when the desk is served (GREENCOMM_DESK_URL, which `up` sets)."""
    if not settings.desk_url:
        return None
    secret, base, end = desk_secret(settings), settings.desk_base, plan.campaign.end
    return lambda person: decision_links(base, secret, plan.campaign.id, kind, request_id, person.email, end)


def publish_pending(session: Session, plan: Plan, settings: Settings, now: datetime) -> None:
    """The `<campaign>-pending-approvals` table: every request waiting, with a link to its run."""
    rows = dossiers.pending_table(session, plan, settings.ui_url, now)
    key = f"{plan.campaign.id}-pending-approvals"
    create_table_artifact(rows or NOTHING_WAITS, key=key, description="待审核的办结申报和延期申请")
