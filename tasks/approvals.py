"""Deciding what the desk filed (SPEC §7): the decision applied by SPEC §2, audited, and the e-mail it causes.

The e-mails go through the outbox under their own channel (DESK), delivered by the approval flow at once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models import tables
from models.desk import decision_deadline
from models.plan import Plan
from models.receipts import Kind, receipt, waiting_notice
from tasks import desk_actions
from tasks.outbox import outbox_row
from tasks.store import today_in
from tasks.work import insert_ignoring_duplicates

DESK = "desk"  # the outbox channel of the desk's e-mails


def seconds_left(session: Session, plan: Plan, kind: Kind, request_id: int, working_days: int, now: datetime) -> int:
    """How long the request may wait: to the end of the N-th working day after it was filed (at least a minute)."""
    request = desk_actions.request_of(session, plan, kind, request_id)
    last = decision_deadline(plan, request.filed_on, working_days)
    end = datetime.combine(last + timedelta(days=1), time(0), ZoneInfo(plan.campaign.timezone))
    return max(60, int((end - now).total_seconds()))


def decide(
    session: Session,
    plan: Plan,
    kind: Kind,
    request_id: int,
    *,
    approve: bool,
    comment: str,
    decided_by: str,
    requested_by: str,
    now: datetime,
    mail_from: str,
) -> str:
    """Apply the decision (if the request still waits for one) and put the receipt in the outbox."""
    request = desk_actions.request_of(session, plan, kind, request_id)
    day = today_in(plan, now)
    outcome = desk_actions.decide(
        session, kind, request_id, approve=approve, comment=comment, decided_by=decided_by, day=day, now=now
    )
    to = (requested_by, desk_actions.name_of(plan, requested_by))
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
    return outcome


def expire(
    session: Session, plan: Plan, kind: Kind, request_id: int, *, working_days: int, now: datetime, mail_from: str
) -> None:
    """Nobody decided in time: the request stays pending; the leading group office is told, once."""
    request = desk_actions.request_of(session, plan, kind, request_id)
    message = waiting_notice(plan, request, waited_days=working_days, at=now, mail_from=mail_from)
    _store(session, plan, plan.leading_group.office_director.email, message, today_in(plan, now))
    desk_actions.audit_request(session, plan, kind, request_id, "desk.timeout", now=now)


def _store(session: Session, plan: Plan, recipient: str, message: EmailMessage, day: date) -> None:
    """Once per Message-ID: a decision re-applied never mails twice."""
    row = outbox_row(plan.campaign.id, DESK, day, recipient, message, [])
    insert_ignoring_duplicates(session, tables.Outbox, [row], ["message_id"])
