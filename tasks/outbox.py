"""The outbox (SPEC §4): digests stored before sending, marked sent after, retried until delivered."""

from __future__ import annotations

import email
import email.policy
import email.utils
from collections import defaultdict
from dataclasses import replace
from datetime import date
from email.message import EmailMessage

from sqlalchemy import update
from sqlmodel import Session, col, select

from models import tables
from models.digest import NoticeFacts, build_digests
from models.mail import Digest, Person, one_line, render_digest
from models.plan import Plan
from models.rules import Mark, latest_marks, unmet_standards
from models.targets import target_result, target_shortfall
from models.wording import Gap
from tasks.desk_links import linked
from tasks.escalate import target_inputs
from tasks.work import assessment_marks, insert_ignoring_duplicates


def compose(session: Session, plan: Plan, phase_id: str, day: date, *, mail_from: str) -> list[tables.Outbox]:
    """Turn the phase's notices not yet in the outbox into stored digests (crash-safe: picks up leftovers).

    The notices are taken by one UPDATE … RETURNING (atomic on SQLite as on PostgreSQL, where row locks
    alone would do nothing on SQLite) in the transaction that stores their e-mails: a run of another day
    at the same time finds them taken, and a crash before the commit gives them back.
    """
    taken = session.connection().execute(
        update(tables.Notice)
        .where(
            col(tables.Notice.campaign_id) == plan.campaign.id,
            col(tables.Notice.phase_id) == phase_id,
            col(tables.Notice.outbox_done).is_(False),
        )
        .values(outbox_done=True)
        .returning(col(tables.Notice.id))
    )
    ids = [row[0] for row in taken]
    if not ids:
        return []
    fresh = select(tables.Notice).where(col(tables.Notice.id).in_(ids)).execution_options(populate_existing=True)
    notices = list(session.exec(fresh.order_by(col(tables.Notice.id))))
    digests = linked(plan, build_digests(plan, phase_id, day, notices, notice_facts(session, plan, notices, day)))
    ids_of: dict[str, list[int | None]] = defaultdict(list)
    for notice in notices:
        for address in notice.recipients:
            ids_of[address].append(notice.id)
    rows = []
    for d in digests:
        message, body = rendered(d, mail_from)
        rows.append(
            outbox_row(plan.campaign.id, phase_id, day, d.recipient.email, message, ids_of[d.recipient.email], body)
        )
    insert_ignoring_duplicates(session, tables.Outbox, rows, ["message_id"])
    return [tables.Outbox.model_validate(row) for row in rows]


UTF8 = email.policy.default.clone(utf8=True)


def rendered(digest: Digest, mail_from: str) -> tuple[EmailMessage, bytes]:
    """The e-mail and the bytes to store; a non-ASCII mailbox (王五@…) gets raw UTF-8 headers (SMTPUTF8).

    The header classes refuse such a mailbox, so it is rendered to a stand-in and the To header written as
    text: one odd address never stops the others' e-mails (a server without SMTPUTF8 dead-letters it).
    """
    try:
        message = render_digest(digest, mail_from=mail_from)
        return message, message.as_bytes()
    except ValueError:
        if digest.recipient.email.isascii():
            raise
    stand_in = replace(digest, recipient=Person(digest.recipient.name, "mailbox@invalid"))
    message = render_digest(stand_in, mail_from=mail_from)
    name = email.utils.quote(one_line(digest.recipient.name))
    message.replace_header("To", f'"{name}" <{one_line(digest.recipient.email)}>')
    return message, message.as_bytes(policy=UTF8)


def parse_stored(body: bytes) -> EmailMessage:
    """A stored e-mail back as a message; UTF-8 headers are read as text, not as escaped bytes."""
    head = body.partition(b"\n\n")[0]
    if head.isascii():
        message = email.message_from_bytes(body, policy=email.policy.default)
    else:
        message = email.message_from_string(body.decode("utf-8"), policy=email.policy.default)
    assert isinstance(message, EmailMessage)  # policy.default always builds EmailMessage
    return message


def notice_facts(session: Session, plan: Plan, notices: list[tables.Notice], day: date) -> NoticeFacts:
    """Due days, extensions and every community's gaps on `day`; targets missed and who falls short."""
    ids = [n.assignment_id for n in notices if n.assignment_id]
    rows = session.exec(select(tables.Assignment).where(col(tables.Assignment.id).in_(ids)))
    moved = session.exec(
        select(tables.Extension)
        .where(col(tables.Extension.assignment_id).in_(ids), tables.Extension.status == "approved")
        .order_by(col(tables.Extension.day), col(tables.Extension.id))
    )
    missed = {n.target_id for n in notices if n.target_id}
    inputs = target_inputs(session, plan) if missed else None
    targets = {t.id: target_result(plan, t, inputs, t.by) for t in plan.targets if inputs and t.id in missed}
    short = {t.id: target_shortfall(plan, t, inputs, t.by) for t in plan.targets if inputs and t.id in missed}
    # gaps only for the communities the lines name: the notices' own and those a missed target lists
    named = {n.assignee.partition(":")[2] for n in notices if n.assignee} | {c for s in short.values() for c in s}
    marks = assessment_marks(session, plan.campaign.id)
    unmet = {c.id: community_gaps(plan, marks.get(c.id, []), day) for c in plan.communities if c.id in named}
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
    campaign_id: str,
    phase_id: str,
    day: date,
    recipient: str,
    message: EmailMessage,
    notice_ids: list[int | None],
    body: bytes | None = None,
) -> dict[str, object]:
    """An unsent e-mail as the outbox stores it: the rendered bytes (`body` when already rendered), resent as
    they are."""
    return {
        "campaign_id": campaign_id,
        "message_id": str(message["Message-ID"]),
        "phase_id": phase_id,
        "day": day,
        "recipient": recipient,
        "subject": str(message["Subject"]),
        "body": message.as_bytes() if body is None else body,
        "status": "pending",
        "attempts": 0,
        "notice_ids": notice_ids,
    }
