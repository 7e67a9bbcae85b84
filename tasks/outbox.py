"""The outbox (SPEC §4): digests stored before sending, marked sent after, retried until delivered."""

from __future__ import annotations

import email
import email.policy
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from models import tables
from models.mail import Digest, NoticeLine, Person, render_digest
from models.plan import Item, Plan, Standard
from models.rules import TargetResult, labels_of, latest_marks, stage_level, unmet_standards
from models.targets import target_result
from tasks.escalate import target_inputs
from tasks.smtp import SmtpConfig, send_messages
from tasks.work import assessment_marks, insert_ignoring_duplicates

STALE_CLAIM = timedelta(minutes=10)  # a 'sending' row older than this belonged to a process that died

REASONS = {
    "assignee": "您是该事项的责任人（{who}）",
    "assignee_head": "您是责任单位（{who}）的负责人，该事项已逾期",
    "supervisors": "您所在科室负责督导该事项",
    "supervisor_heads": "您是督导该事项的科室负责人，该事项已逾期",
    "leading_group_office": "您是绿色社区创建行动工作领导小组办公室主任",
    "leader": "您是绿色社区创建行动工作领导小组组长",
}


@dataclass(frozen=True)
class NoticeFacts:
    """What the e-mail lines need beyond the notices: due days, and each community's unmet standards."""

    dues: dict[int, date]
    unmet: dict[str, list[Standard]]
    targets: dict[str, TargetResult]


def build_digests(
    plan: Plan, phase_id: str, day: date, notices: list[tables.Notice], facts: NoticeFacts
) -> list[Digest]:
    """One digest per recipient address of a run's notices (pure: used by dry runs too)."""
    by_recipient: dict[str, list[tables.Notice]] = defaultdict(list)
    for notice in notices:
        for address in notice.recipients:
            by_recipient[address].append(notice)
    phase = plan.phase(phase_id)
    labels = labels_of(plan)
    digests = []
    for address, mine in sorted(by_recipient.items()):
        name = mine[0].roles[address][1]
        lines = tuple(_line(plan, n, address, labels, facts) for n in mine)
        key = f"{plan.campaign.id}/{phase_id}/{day}/{address}/" + ",".join(n.key for n in mine)
        digests.append(
            Digest(
                plan.campaign.id,
                plan.campaign.name,
                phase_id,
                phase.name,
                day,
                Person(name, address),
                lines,
                key,
            )
        )
    return digests


def _line(plan: Plan, notice: tables.Notice, address: str, labels: dict[str, str], facts: NoticeFacts) -> NoticeLine:
    office = plan.leading_group.office_director
    report_to = Person(office.name, office.email)
    role = notice.roles[address][0]
    if notice.stage == "target-missed":
        target = next(t for t in plan.targets if t.id == notice.item_id)
        return NoticeLine(
            target.id,
            f"目标 {target.id}：{target.min_share:.0%} 的社区达到创建要求",
            "全街道",
            notice.stage,
            0,
            "escalated",
            target.by,
            0,
            f"截至 {target.by} 仅 {facts.targets[target.id].achieved} 个社区达标，请研究部署补救措施",
            str(getattr(target, "basis", "") or ""),
            report_to,
            REASONS[role].format(who="全街道"),
        )
    item = next(i for _, i in plan.items() if i.id == notice.item_id)
    who = labels.get(notice.assignee or "", notice.assignee or "")
    level = stage_level(plan.escalation, notice.stage)
    due = facts.dues.get(notice.assignment_id or 0)
    return NoticeLine(
        item.id,
        item.label,
        who,
        notice.stage,
        notice.cycle,
        level,
        due,
        notice.overdue_days,
        _what_to_do(item, facts.unmet.get((notice.assignee or "").partition(":")[2], [])),
        item.basis,
        report_to,
        REASONS[role].format(who=who),
    )


def _what_to_do(item: Item, unmet: list[Standard]) -> str:
    """For a standards item, the standards still to meet, so the reader knows where the gap is."""
    if item.kind != "standards" or not unmet:
        return item.label
    gaps = "；".join(f"标准{s.id}：{s.text}" for s in unmet)
    return f"{item.label}。尚未达标（{len(unmet)} 项）—— {gaps}"


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
    """Due days of the notices' assignments and every community's unmet standards on `day`."""
    ids = [n.assignment_id for n in notices if n.assignment_id]
    rows = session.exec(select(tables.Assignment).where(col(tables.Assignment.id).in_(ids)))
    marks = assessment_marks(session, plan.campaign.id)
    unmet = {c.id: unmet_standards(plan.standards, latest_marks(marks.get(c.id, []), day)) for c in plan.communities}
    missed = {n.target_id for n in notices if n.target_id}
    inputs = target_inputs(session, plan) if missed else None
    targets = {t.id: target_result(plan, t, inputs, t.by) for t in plan.targets if inputs and t.id in missed}
    return NoticeFacts({row.id: row.due for row in rows if row.id is not None}, unmet, targets)


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
