"""The outbox (SPEC §4): digests stored before sending, marked sent after, retried until delivered."""

from __future__ import annotations

import email
import email.policy
import email.utils
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from email.message import EmailMessage
from itertools import islice
from typing import NamedTuple, TypedDict

from sqlalchemy import update
from sqlmodel import Session, col, select

from models import tables
from models.engine import Mark, latest_marks, target_result, target_shortfall, unmet_standards
from models.mail.digest import NoticeFacts, NoticeView, StoredNotice, digests_of
from models.mail.mime import digest_bytes, message_bytes
from models.mail.render import Digest, rendered_digest, subject
from models.mail.wording import Gap
from models.plan import Plan
from models.vocabulary import ExtensionStatus, OutboxStatus, ref_of
from tasks.db import in_chunks, insert_ignoring_duplicates
from tasks.engine import assessment_marks, target_inputs
from tasks.mail.desk_links import linked

COMPOSED_AT_ONCE = 500  # e-mails rendered and stored per statement: memory stays flat however large the run


def compose(session: Session, plan: Plan, phase_id: str, day: date, *, mail_from: str) -> int:
    """Turn the phase's notices not yet in the outbox into stored digests (crash-safe: picks up leftovers);
    returns how many e-mails were stored.

    The notices are taken by one UPDATE … RETURNING (atomic on SQLite as on PostgreSQL, where row locks
    alone would do nothing on SQLite) in the transaction that stores their e-mails: a run of another day
    at the same time finds them taken, and a crash before the commit gives them back.
    """
    notices = sorted(_take_notices(session, plan.campaign.id, phase_id))
    if not notices:
        return 0
    facts = notice_facts(session, plan, notices, day)
    ids_of: dict[str, list[int | None]] = defaultdict(list)
    for notice in notices:
        for address in notice.recipients:
            ids_of[address].append(notice.id)
    stored = 0
    digests = linked(plan, digests_of(plan, phase_id, day, notices, facts))
    while batch := list(islice(digests, COMPOSED_AT_ONCE)):
        rows = [digest_row(plan.campaign.id, day, d, mail_from, ids_of[d.recipient.email]) for d in batch]
        insert_ignoring_duplicates(session, tables.Outbox, rows, ["message_id"])
        stored += len(rows)
    return stored


def _take_notices(session: Session, campaign_id: str, phase_id: str) -> list[StoredNotice]:
    """Mark the phase's notices not yet composed as taken, and read them back in the same statement."""
    notice = tables.Notice
    columns = [col(getattr(notice, name)) for name in StoredNotice._fields]
    taken = session.connection().execute(
        update(notice)
        .where(
            col(notice.campaign_id) == campaign_id, col(notice.phase_id) == phase_id, col(notice.outbox_done).is_(False)
        )
        .values(outbox_done=True)
        .returning(*columns)
    )
    return [StoredNotice(*row) for row in taken]


def parse_stored(body: bytes) -> EmailMessage:
    """A stored e-mail back as a message; UTF-8 headers are read as text, not as escaped bytes."""
    head = body.partition(b"\n\n")[0]
    if head.isascii():
        message = email.message_from_bytes(body, policy=email.policy.default)
    else:
        message = email.message_from_string(body.decode("utf-8"), policy=email.policy.default)
    assert isinstance(message, EmailMessage)  # policy.default always builds EmailMessage
    return message


def notice_facts(session: Session, plan: Plan, notices: Sequence[NoticeView], day: date) -> NoticeFacts:
    """Due days, extensions and every community's gaps on `day`; targets missed and who falls short."""
    # a notice keeps the due day it was decided on; only a 交办 stored before it did is looked up
    undated = [n.assignment_id for n in notices if n.assignment_id and n.due is None]
    mine = {n.assignment_id for n in notices if n.assignment_id}
    moved = session.exec(
        select(tables.Extension)
        .where(tables.Extension.campaign_id == plan.campaign.id, tables.Extension.status == ExtensionStatus.APPROVED)
        .order_by(col(tables.Extension.day), col(tables.Extension.id))
    )
    missed = {n.target_id for n in notices if n.target_id}
    inputs = target_inputs(session, plan) if missed else None
    targets = {t.id: target_result(plan, t, inputs, t.by) for t in plan.targets if inputs and t.id in missed}
    short = {t.id: target_shortfall(plan, t, inputs, t.by) for t in plan.targets if inputs and t.id in missed}
    # gaps only for the communities the lines name: the notices' own and those a missed target lists
    named = {ref_of(n.assignee) for n in notices if n.assignee} | {c for s in short.values() for c in s}
    marks = assessment_marks(session, plan.campaign.id, named)
    unmet = {c.id: community_gaps(plan, marks.get(c.id, []), day) for c in plan.communities if c.id in named}
    return NoticeFacts(
        due_days(session, undated),
        unmet,
        targets,
        short,
        {e.assignment_id: e.previous_due for e in moved if e.day <= day and e.assignment_id in mine},
    )


def due_days(session: Session, assignment_ids: Iterable[int]) -> dict[int, date]:
    """assignment → its due day, asked in chunks that stay within every driver's parameter limit."""
    dues: dict[int, date] = {}
    for chunk in in_chunks(assignment_ids):
        query = select(col(tables.Assignment.id), col(tables.Assignment.due)).where(
            col(tables.Assignment.id).in_(chunk)
        )
        dues.update({row_id: due for row_id, due in session.exec(query) if row_id is not None})
    return dues


def community_gaps(plan: Plan, marks: list[tuple[int, Mark]], day: date) -> list[Gap]:
    """The standards a community has not met on `day`, with the latest value found (None: not assessed)."""
    latest = latest_marks(marks, day)
    return [Gap(s, latest[s.id].value if s.id in latest else None) for s in unmet_standards(plan.standards, latest)]


class OutboxRow(TypedDict):
    """An e-mail's outbox columns as compose and the letters insert them (executemany)."""

    campaign_id: str
    message_id: str
    phase_id: str
    day: date
    recipient: str
    subject: str
    body: bytes
    status: str
    attempts: int
    notice_ids: list[int | None]


def outbox_row(
    campaign_id: str, phase_id: str, day: date, recipient: str, message: EmailMessage, notice_ids: list[int | None]
) -> OutboxRow:
    """An unsent e-mail as the outbox stores it: the rendered bytes, resent as they are."""
    head = Head(str(message["Message-ID"]), str(message["Subject"]))
    return _row(campaign_id, phase_id, day, recipient, head, message_bytes(message), notice_ids)


def digest_row(campaign_id: str, day: date, digest: Digest, mail_from: str, notice_ids: list[int | None]) -> OutboxRow:
    """A digest as the outbox stores it, rendered straight to bytes (no message object read back)."""
    rendered = rendered_digest(digest, mail_from=mail_from)
    head = Head(dict(rendered.headers)["Message-ID"], subject(digest))
    body = digest_bytes(rendered)
    return _row(campaign_id, digest.phase_id, day, digest.recipient.email, head, body, notice_ids)


class Head(NamedTuple):
    message_id: str
    subject: str


def _row(
    campaign_id: str, phase_id: str, day: date, recipient: str, head: Head, body: bytes, notice_ids: list[int | None]
) -> OutboxRow:
    return {
        "campaign_id": campaign_id,
        "message_id": head.message_id,
        "phase_id": phase_id,
        "day": day,
        "recipient": recipient,
        "subject": head.subject,
        "body": body,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "notice_ids": notice_ids,
    }
