"""Deciding what the desk filed (SPEC §7): the decision applied by SPEC §2, audited, and the e-mail it causes.

The e-mails go through the outbox under their own channel (DESK), delivered by the approval flow at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage

from sqlmodel import Session, select

from models import tables
from models.approvals.dossier import Decider
from models.approvals.receipts import Kind, Outcome, receipt, review_notice, waiting_notice, withdrawn_notice
from models.desk import Reader, decision_deadline
from models.plan import Plan
from tasks.approvals import dossiers, requests
from tasks.approvals.claim_files import FileLine
from tasks.approvals.decisions import pending_claim
from tasks.db import insert_ignoring_duplicates
from tasks.mail import outbox_row
from tasks.store import record_audit, today_in

DESK = "desk"  # the outbox channel of the desk's e-mails
CLAIM_FIRST = "该事项的办结申报尚待审核，请先审核办结申报。"


@dataclass(frozen=True)
class Applied:
    """A decision applied (or found applied): its outcome, and the run of an extension request it withdrew."""

    outcome: Outcome
    withdrawn_run: str | None = None


def decide(
    session: Session,
    plan: Plan,
    kind: Kind,
    request_id: int,
    *,
    approve: bool,
    comment: str,
    decided_by: str,
    now: datetime,
    mail_from: str,
) -> Applied:
    """Apply the decision (if the request still waits for one) and put the receipts in the outbox: to whoever
    filed it, and (a claim confirmed) to whoever asked for the extension it withdrew."""
    request = requests.request_of(session, plan, kind, request_id)
    row = requests.request_row(session, kind, request_id)
    assert row is not None
    extension = requests.pending_extension(session, row.assignment_id) if kind == "claim" else None
    day = today_in(plan, now)
    was_waiting = dossiers.is_waiting(session, kind, request_id)
    outcome = requests.decide(
        session, kind, request_id, approve=approve, comment=comment, decided_by=decided_by, day=day, now=now
    )
    if not was_waiting:
        return Applied(outcome)
    if to := _requester(session, plan, kind, request_id):
        message = receipt(
            plan,
            request,
            to,
            approved=outcome == "approved",
            comment=comment,
            decided_by=decided_by,
            at=now,
            mail_from=mail_from,
        )
        _store(session, plan, to[0], message, day)
    if extension is None or extension.id is None or outcome != "approved":
        return Applied(outcome)
    if to := _requester(session, plan, "extension", extension.id):
        withdrawn = requests.request_of(session, plan, "extension", extension.id)
        _store(session, plan, to[0], withdrawn_notice(plan, withdrawn, to, at=now, mail_from=mail_from), day)
    return Applied(outcome, extension.approval_run)


def claim_first(session: Session, plan: Plan, extension_id: int, attempt: int, *, now: datetime) -> str:
    """SPEC §7: while a claim on the same item waits, its extension request is not decided (CLAIM_FIRST), else ''.

    A refusal is audited per attempt: a resumed run replays its earlier answers from the top, and an answer refused
    once must be refused again on replay, even if the claim has been decided since."""
    mark = {"extension": extension_id, "attempt": attempt}
    audited = session.exec(
        select(tables.Audit.detail).where(
            tables.Audit.campaign_id == plan.campaign.id, tables.Audit.action == "extension.claim-first"
        )
    )
    if mark in audited.all():
        return CLAIM_FIRST
    extension = session.get(tables.Extension, extension_id)
    if extension is None or pending_claim(session, extension.assignment_id) is None:
        return ""
    record_audit(session, plan.campaign.id, actor="approval-run", action="extension.claim-first", detail=mark, now=now)
    return CLAIM_FIRST


def ask_deciders(
    session: Session,
    plan: Plan,
    kind: Kind,
    request_id: int,
    people: list[Decider],
    *,
    links: Callable[[Decider], tuple[str, str]] | None,
    now: datetime,
    mail_from: str,
    files: Callable[[Decider], list[FileLine]] | None = None,
) -> int:
    """待审核 to everyone entitled to decide (once each: a run re-executed after its resume stores nothing new)."""
    request = requests.request_of(session, plan, kind, request_id)
    day, stored = today_in(plan, now), 0
    for person in people:
        to = (person.email, person.greeting)
        listed = files(person) if files else []
        message = review_notice(
            plan, request, to, links=links(person) if links else None, at=now, mail_from=mail_from, files=listed
        )
        stored += _store(session, plan, person.email, message, day)
    return stored


def overdue_decisions(
    session: Session, plan: Plan, day: date, *, working_days: int, now: datetime, mail_from: str, channel: str
) -> int:
    """Every desk request waiting past its N-th working day: the leading group office is told, once each
    (逾期未审核); the request stays pending. Returns how many were told today."""
    told = 0
    if not plan.calendar().is_workday(day):
        return told  # no notice on a non-working day (SPEC §3)
    for filed in requests.waiting_requests(session, plan.campaign.id):
        request = requests.request_of(session, plan, filed.kind, filed.id)
        if day > decision_deadline(plan, request.filed_on, working_days):
            told += expire(
                session,
                plan,
                filed.kind,
                filed.id,
                working_days=working_days,
                now=now,
                mail_from=mail_from,
                channel=channel,
            )
    return told


def expire(
    session: Session,
    plan: Plan,
    kind: Kind,
    request_id: int,
    *,
    working_days: int,
    now: datetime,
    mail_from: str,
    channel: str = DESK,
) -> int:
    """Nobody decided in time: the request stays pending; the leading group office is told, once (1 if now)."""
    request = requests.request_of(session, plan, kind, request_id)
    message = waiting_notice(plan, request, waited_days=working_days, at=now, mail_from=mail_from)
    director = plan.leading_group.office_director.email
    if not _store(session, plan, director, message, today_in(plan, now), channel):
        return 0
    requests.audit_request(session, plan, kind, request_id, "desk.timeout", now=now)
    return 1


def _requester(session: Session, plan: Plan, kind: Kind, request_id: int) -> tuple[str, str] | None:
    """Whoever filed the request from the desk (address, name); None for one recorded from a progress row."""
    filed = dossiers.filings(session, kind, plan.campaign.id).get(request_id)
    if filed is None:
        return None
    who = filed.actor.removeprefix("desk:")
    return who, Reader.of(plan, who).name


def _store(session: Session, plan: Plan, recipient: str, message: EmailMessage, day: date, channel: str = DESK) -> bool:
    """Once per Message-ID: a decision re-applied never mails twice. True when stored now."""
    row = outbox_row(plan.campaign.id, channel, day, recipient, message, [])
    return bool(insert_ignoring_duplicates(session, tables.Outbox, [row], ["message_id"]))
