"""The outbox (SPEC §4): digests stored before sending, marked sent after, retried until delivered."""

from __future__ import annotations

import email
import email.policy
import email.utils
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from email.message import EmailMessage

from sqlalchemy import update
from sqlmodel import Session, col, select

from models import tables
from models.mail import Digest, NoticeLine, Person, one_line, render_digest
from models.plan import Item, Plan, Standard
from models.rules import TargetResult, labels_of, latest_marks, stage_level, unmet_standards
from models.targets import target_result
from tasks.escalate import target_inputs
from tasks.work import assessment_marks, insert_ignoring_duplicates

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
    digests = build_digests(plan, phase_id, day, notices, notice_facts(session, plan, notices, day))
    rows = []
    for d in digests:
        mine = [n for n in notices if d.recipient.email in n.recipients]
        # The key names the notices, not the run's day: the same notices can only ever make the same e-mail.
        key = f"{plan.campaign.id}/{phase_id}/{d.recipient.email}/" + ",".join(n.key for n in mine)
        message, body = rendered(replace(d, key=key), mail_from)
        row = outbox_row(plan.campaign.id, phase_id, day, d.recipient.email, message, [n.id for n in mine])
        rows.append(row | {"body": body})
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
