"""The outbox (SPEC §4): digests stored before sending, marked sent after, retried until delivered."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from models import tables
from models.digest import NoticeFacts, build_digests
from models.mail import render_digest
from models.plan import Plan
from models.rules import Mark, latest_marks, unmet_standards
from models.wording import Gap
from tasks.escalate import target_inputs, target_result, target_shortfall
from tasks.smtp import SmtpConfig, send_messages
from tasks.work import assessment_marks, insert_ignoring_duplicates

STALE_CLAIM = timedelta(minutes=10)  # a 'sending' row older than this belonged to a process that died


def compose(session: Session, plan: Plan, phase_id: str, day: date, *, mail_from: str) -> list[tables.Outbox]:
    """Turn the phase's notices not yet in the outbox into stored digests (crash-safe: picks up leftovers)."""
    notices = list(
        session.exec(
            select(tables.Notice)
            .where(
                tables.Notice.campaign_id == plan.campaign.id,
                tables.Notice.phase_id == phase_id,
                col(tables.Notice.outbox_done).is_(False),
            )
            .order_by(col(tables.Notice.id))
            .with_for_update(skip_locked=True)
        )
    )
    if not notices:
        return []
    digests = build_digests(plan, phase_id, day, notices, notice_facts(session, plan, notices, day))
    rows = [
        outbox_row(
            plan.campaign.id,
            phase_id,
            day,
            d.recipient.email,
            render_digest(d, mail_from=mail_from),
            [n.id for n in notices if d.recipient.email in n.recipients],
        )
        for d in digests
    ]
    insert_ignoring_duplicates(session, tables.Outbox, rows, ["message_id"])
    session.execute(
        update(tables.Notice).where(col(tables.Notice.id).in_([n.id for n in notices])).values(outbox_done=True)
    )
    return [tables.Outbox.model_validate(row) for row in rows]


def notice_facts(session: Session, plan: Plan, notices: list[tables.Notice], day: date) -> NoticeFacts:
    """Due days, extensions and every community's gaps on `day`; targets missed and who falls short."""
    ids = [n.assignment_id for n in notices if n.assignment_id]
    rows = session.exec(select(tables.Assignment).where(col(tables.Assignment.id).in_(ids)))
    moved = session.exec(
        select(tables.Extension)
        .where(col(tables.Extension.assignment_id).in_(ids), tables.Extension.status == "approved")
        .order_by(col(tables.Extension.day), col(tables.Extension.id))
    )
    marks = assessment_marks(session, plan.campaign.id)
    unmet = {c.id: community_gaps(plan, marks.get(c.id, []), day) for c in plan.communities}
    missed = {n.target_id for n in notices if n.target_id}
    inputs = target_inputs(session, plan) if missed else None
    targets = {t.id: target_result(plan, t, inputs, t.by) for t in plan.targets if inputs and t.id in missed}
    short = {t.id: target_shortfall(plan, t, inputs, t.by) for t in plan.targets if inputs and t.id in missed}
    return NoticeFacts(
        {row.id: row.due for row in rows if row.id is not None},
        unmet,
        targets,
        short,
        {e.assignment_id: e.previous_due for e in moved if e.day <= day},
    )


def community_gaps(plan: Plan, marks: list[tuple[int, Mark]], day: date) -> list[Gap]:
    """The standards a community has not met on `day`, with the latest value found (None: not assessed)."""
    latest = latest_marks(marks, day)
    return [Gap(s, latest[s.id].value if s.id in latest else None) for s in unmet_standards(plan.standards, latest)]


def outbox_row(
    campaign_id: str, phase_id: str, day: date, recipient: str, message: EmailMessage, notice_ids: list[int | None]
) -> dict[str, object]:
    """An unsent e-mail as the outbox stores it: the rendered bytes, resent as they are."""
    return {
        "campaign_id": campaign_id,
        "message_id": str(message["Message-ID"]),
        "phase_id": phase_id,
        "day": day,
        "recipient": recipient,
        "subject": str(message["Subject"]),
        "body": message.as_bytes(),
        "status": "pending",
        "attempts": 0,
        "notice_ids": notice_ids,
    }


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: list[str]  # "recipient: error" lines, no secrets


def claim(session: Session, campaign_id: str, phase_id: str, now: datetime) -> list[tables.Outbox]:
    """Take the phase's unsent e-mails for this process; two runs never take the same row."""
    ready = or_(
        col(tables.Outbox.status) == "pending",
        (col(tables.Outbox.status) == "sending") & (col(tables.Outbox.claimed_at) < now - STALE_CLAIM),
    )
    statement = (
        update(tables.Outbox)
        .where(col(tables.Outbox.campaign_id) == campaign_id, col(tables.Outbox.phase_id) == phase_id, ready)
        .values(status="sending", claimed_at=now)
        .returning(col(tables.Outbox.id))
    )
    ids = [row[0] for row in session.execute(statement)]
    return list(
        session.exec(select(tables.Outbox).where(col(tables.Outbox.id).in_(ids)).order_by(col(tables.Outbox.id)))
    )


async def send_claimed(rows: list[tables.Outbox], config: SmtpConfig, *, concurrency: int) -> list[str | None]:
    """Send claimed rows; one error text (or None) per row, in order."""
    messages = [email.message_from_bytes(row.body, policy=email.policy.default) for row in rows]
    results = await send_messages(messages, config, concurrency=concurrency)
    return [None if result.ok else (result.error or "failed") for result in results]


def settle(session: Session, rows: list[tables.Outbox], errors: list[str | None], now: datetime) -> Delivery:
    """Mark each claimed row sent, or pending again for the next run with its error."""
    failed = []
    for row, error in zip(rows, errors, strict=True):
        row.attempts += 1
        row.status, row.last_error = ("pending", error) if error else ("sent", None)
        row.sent_at = None if error else now
        session.add(row)
        if error:
            failed.append(f"{row.recipient}: {error}")
    return Delivery(len(rows) - len(failed), failed)
