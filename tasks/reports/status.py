"""Where the campaign stands on a day, read from the database as plain rows and SQL aggregates (no ORM objects:
a province-sized campaign has a million assignments and two hundred thousand assessments)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_
from sqlalchemy import select as sql_select
from sqlmodel import Session, col

from models import tables
from models.desk import answers, with_answers
from models.engine import Mark
from models.intake import triage_lines
from models.plan import Plan
from models.reports import standing
from models.reports.overview import TABLE_ROWS, Overview, Shown
from models.reports.standing import LateLines, Overdue, Standing, answer_text, dead_letter
from models.vocabulary import ClaimStatus, ExtensionStatus, OutboxStatus
from tasks.db import in_chunks
from tasks.desk import campaign_answers
from tasks.intake import triage
from tasks.mail import dead_letters
from tasks.reports.report import target_lines

A = tables.Assignment


def status(session: Session, plan: Plan, day: date) -> Standing:
    """Everything: `greencomm status`, the weekly report and the circular."""
    rows = list(session.connection().execute(assignment_columns().where(col(A.campaign_id) == plan.campaign.id)))
    acknowledged, claims, extensions = campaign_answers(session, plan.campaign.id)
    found = answers(plan, rows, day, acknowledged=acknowledged, claims=claims, extensions=extensions)
    return Standing(
        campaign=plan.campaign.id,
        as_of=day,
        assignments=standing.counts(rows, day),
        overdue=with_answers(standing.overdue(plan, rows, day), found),
        targets=target_lines(session, plan, day),
        standards=standards(session, plan, day),
        undeliverable=[dead_letter(row) for row in dead_letters(session, plan.campaign.id)],
        answers=found,
        triage=triage_lines(triage(session, plan.campaign.id), plan.campaign.timezone),
    )


def overview(session: Session, plan: Plan, day: date, limit: int = TABLE_ROWS) -> Overview:
    """What a phase run publishes: exact counts from SQL aggregates, at most `limit` rows of each list."""
    cid = plan.campaign.id
    return Overview(
        campaign=cid,
        as_of=day,
        assignments=assignment_counts(session, cid, day),
        overdue=longest_overdue(session, plan, day, limit),
        targets=target_lines(session, plan, day),
        standards=standards(session, plan, day),
        undeliverable=first_dead_letters(session, cid, limit),
    )


def assignment_columns() -> Select[int | None, str, str, date, date, date | None]:
    return sql_select(col(A.id), col(A.item_id), col(A.assignee), col(A.due), col(A.assigned_on), col(A.completed_on))


def still_open(day: date) -> Any:
    return or_(col(A.completed_on).is_(None), col(A.completed_on) > day)


def assignment_counts(session: Session, campaign_id: str, day: date) -> standing.Counts:
    done = func.count().filter(col(A.completed_on) <= day)
    total, completed = (
        session.connection().execute(sql_select(func.count(), done).where(col(A.campaign_id) == campaign_id)).one()
    )
    return standing.Counts(total, completed, total - completed)


def longest_overdue(session: Session, plan: Plan, day: date, limit: int) -> Shown[Overdue]:
    """Every overdue assignment counted per (item, due day); the `limit` longest overdue read, in the order
    `standing.overdue` gives them."""
    lines = LateLines(plan, day)
    late = open_past_due(plan.campaign.id, day)
    groups = []
    for item_id, due, count in session.connection().execute(
        sql_select(col(A.item_id), col(A.due), func.count()).where(late).group_by(col(A.item_id), col(A.due))
    ):
        days = lines.overdue_days(item_id, due)
        if days > 0:
            groups.append((days, item_id, due, count))
    groups.sort(key=lambda g: (-g[0], g[1], g[2]))
    shown: list[Overdue] = []
    for days, item_id, due, _ in groups:
        if len(shown) >= limit:
            break
        query = assignment_columns().where(late, col(A.item_id) == item_id, col(A.due) == due)
        rows = session.connection().execute(query.order_by(col(A.id)).limit(limit - len(shown)))
        shown += [lines.line(row, days) for row in rows]
    texts = answer_texts(session, plan.campaign.id, [late.assignment for late in shown], day)
    shown = [replace(line, answer=texts.get(line.assignment, "")) for line in shown]
    return Shown(shown, sum(g[3] for g in groups))


def open_past_due(campaign_id: str, day: date) -> Any:
    conditions = (col(A.campaign_id) == campaign_id, still_open(day), col(A.due) < day, col(A.assigned_on) <= day)
    return and_(*conditions)


def answer_texts(session: Session, campaign_id: str, ids: Iterable[int], day: date) -> dict[int, str]:
    """What the desk holds for these assignments (those still open on `day`): the tables' 办理情况."""
    acknowledged: dict[int, int] = defaultdict(int)
    claims: dict[int, date] = {}
    extensions: dict[int, date] = {}
    opened: set[int] = set()
    for chunk in in_chunks(ids):
        connection = session.connection()
        opened.update(
            i
            for i in connection.execute(sql_select(col(A.id)).where(col(A.id).in_(chunk), still_open(day))).scalars()
            if i is not None
        )
        ack = tables.Acknowledgement
        for (assignment,) in connection.execute(
            sql_select(col(ack.assignment_id)).where(col(ack.assignment_id).in_(chunk))
        ):
            acknowledged[assignment] += 1
        claim, extension = tables.Claim, tables.Extension
        pending = sql_select(col(claim.assignment_id), col(claim.day)).where(
            col(claim.campaign_id) == campaign_id,
            col(claim.assignment_id).in_(chunk),
            col(claim.status) == ClaimStatus.PENDING,
        )
        claims.update({a: on for a, on in connection.execute(pending.order_by(col(claim.id)))})
        requested = sql_select(col(extension.assignment_id), col(extension.new_due)).where(
            col(extension.campaign_id) == campaign_id,
            col(extension.assignment_id).in_(chunk),
            col(extension.status) == ExtensionStatus.REQUESTED,
        )
        extensions.update({a: to for a, to in connection.execute(requested.order_by(col(extension.id)))})
    texts = {i: answer_text(acknowledged.get(i, 0), claims.get(i), extensions.get(i)) for i in opened}
    return {i: text for i, text in texts.items() if text}


def standards(session: Session, plan: Plan, day: date) -> dict[str, dict[str, standing.Mark3]]:
    """The matrix from each (community, standard)'s latest assessment up to `day`, read as plain rows."""
    assessment = tables.Assessment
    latest: dict[tuple[str, int], Mark] = {}
    rows = session.connection().execute(
        sql_select(
            col(assessment.community_id),
            col(assessment.standard_id),
            col(assessment.day),
            col(assessment.id),
            col(assessment.value),
        )
        .where(col(assessment.campaign_id) == plan.campaign.id, col(assessment.day) <= day)
        .order_by(col(assessment.day), col(assessment.id))
    )
    for community, standard, on, seq, value in rows:
        latest[(community, standard)] = Mark(on, seq or 0, value)  # later day, then later record, wins
    marks: dict[str, list[tuple[int, Mark]]] = defaultdict(list)
    for (community, standard), mark in latest.items():
        marks[community].append((standard, mark))
    return standing.standards_matrix(plan, marks, day)


def first_dead_letters(session: Session, campaign_id: str, limit: int) -> Shown[standing.DeadLetter]:
    """The oldest e-mails given up on (their bodies never read) and how many there are."""
    outbox = tables.Outbox
    given_up = and_(col(outbox.campaign_id) == campaign_id, col(outbox.status) == OutboxStatus.UNDELIVERABLE)
    total = session.connection().execute(sql_select(func.count()).where(given_up)).scalar_one()
    rows = session.connection().execute(
        sql_select(
            col(outbox.day), col(outbox.phase_id), col(outbox.recipient), col(outbox.message_id), col(outbox.last_error)
        )
        .where(given_up)
        .order_by(col(outbox.day), col(outbox.id))
        .limit(limit)
    )
    letters = [standing.DeadLetter(on, phase, to, message_id, error or "") for on, phase, to, message_id, error in rows]
    return Shown(letters, int(total))
