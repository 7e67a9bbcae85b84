"""A matched message filed as the desk files a claim (SPEC §7, §9), with its receipt in the outbox.

The claim waits for a decider who sees its files, like every claim from the desk: nothing completes on arrival.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from models import tables
from models.intake import Candidate, IntakeMessage, Letter, Matched, receipt
from models.materials import Upload
from models.plan import Plan, Seat, local_day
from models.vocabulary import AssigneeKey, IntakeStatus, address_key
from tasks.approvals import Filed
from tasks.db import insert_ignoring_duplicates
from tasks.mail import outbox_row
from tasks.materials import submit_claim, submit_highlight

INTAKE = "intake"  # the outbox channel of the mailbox's receipts


class ClaimPending(Exception):
    """The item already has a claim waiting for a decision: filing again would keep it and drop these files."""


@dataclass(frozen=True)
class Filing:
    """What filing a message needs besides the message: when, where files go and their limit, the mail's sender."""

    day: date
    now: datetime
    mail_from: str
    files_dir: Path
    max_mb: int


def candidates(session: Session, plan: Plan, units: Sequence[AssigneeKey], day: date) -> list[Candidate]:
    """The units' open assignments (assigned by `day`) and the submission items they may hand highlights in for."""
    if not units:
        return []
    items = {item.id: item for phase in plan.phases for item in phase.items}
    a = tables.Assignment
    rows = session.exec(
        select(a)
        .where(
            a.campaign_id == plan.campaign.id,
            col(a.assignee).in_(list(units)),
            col(a.completed_on).is_(None),
            col(a.assigned_on) <= day,
        )
        .order_by(col(a.due), col(a.id))
    )
    found = [Candidate(r.id, items[r.item_id], AssigneeKey(r.assignee), r.due) for r in rows if r.item_id in items]
    highlights = [item for _, item in plan.submissions()]
    return found + [Candidate(None, item, unit, None) for item in highlights for unit in units]


def seat_of(plan: Plan, sender: str, unit: AssigneeKey) -> Seat:
    """The sender's place in the unit; a message a person assigns from elsewhere speaks for the unit's contact."""
    seats = [s for s in plan.people() if s.unit == unit]
    mine = [s for s in seats if address_key(s.person.email) == address_key(sender)]
    return (mine or sorted(seats, key=lambda s: s.role.rank)[:1])[0]


def file_matched(
    session: Session, plan: Plan, row: IntakeMessage, letter: Letter, matched: Matched, filing: Filing
) -> Filed | None:
    """The claim (or highlight) with its files, as the desk files it, and the receipt stored; the row says what
    was filed. MaterialsRefused when the files break the item's rules, ClaimPending when a claim already waits
    (then nothing may be kept: the caller rolls back to before the call).

    Returns the claim filed: its approval run is to be started once this transaction commits."""
    candidate, seat = matched.candidate, seat_of(plan, letter.sender, matched.candidate.assignee)
    uploads = [Upload(label, file.name, file.path) for label, file in matched.files if file.path is not None]
    filed = None
    if matched.highlight:
        title, text = letter.subject or candidate.item.label, letter.text
        highlight = submit_highlight(
            session, plan, candidate.item, candidate.assignee, seat.person.email, title=title[:100], text=text[:5000],
            uploads=uploads, day=filing.day, now=filing.now, files_dir=filing.files_dir, max_mb=filing.max_mb,
        )  # fmt: skip
        row.request_id = highlight.id
    else:
        assignment = session.get(tables.Assignment, candidate.assignment_id)
        assert assignment is not None
        note = f"邮件报送：{letter.subject}" if letter.subject else "邮件报送"
        filed = submit_claim(
            session, plan, assignment, seat.person.email, note=note, uploads=uploads,
            day=filing.day, now=filing.now, files_dir=filing.files_dir, max_mb=filing.max_mb,
        )  # fmt: skip
        if not filed.new:
            raise ClaimPending(filed.id)
        row.request_id = filed.id
    row.status = IntakeStatus.HIGHLIGHT if matched.highlight else IntakeStatus.FILED
    row.assignment_id, row.item_id, row.assignee = candidate.assignment_id, candidate.item.id, candidate.assignee
    _store_receipt(session, plan, row, letter, matched, seat, filing)
    return filed


def _store_receipt(
    session: Session,
    plan: Plan,
    row: IntakeMessage,
    letter: Letter,
    matched: Matched,
    seat: Seat,
    filing: Filing,
) -> None:
    """Once per message: the Message-ID is made from the message's fingerprint."""
    message = receipt(
        plan,
        seat,
        item_title=matched.candidate.item.label,
        files=[(label, file.name) for label, file in matched.files],
        sent_on=local_day(plan.campaign.timezone, letter.sent_at) if letter.sent_at else None,
        highlight=matched.highlight,
        key=f"{plan.campaign.id}/intake/{row.sha256[:24]}/receipt",
        at=filing.now,
        mail_from=filing.mail_from,
    )
    stored = outbox_row(plan.campaign.id, INTAKE, filing.day, seat.person.email, message, [])
    insert_ignoring_duplicates(session, tables.Outbox, [stored], ["message_id"])
