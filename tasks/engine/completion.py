"""Check completion (SPEC §2) set-based: each kind of item reads only the open work its evidence can close."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, case, func, literal, or_, update
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from models import tables
from models.engine.membership import Members, members_on
from models.engine.rules import Mark, latest_marks, list_closure, share_reached_on, standards_completed_on
from models.plan import Item, Plan
from models.vocabulary import UnitKind, assignee_sql, ref_of
from tasks.db import in_chunks
from tasks.engine.open_work import OpenWork


def check_completion(session: Session, plan: Plan, phase_id: str, day: date) -> int:
    """Mark open assignments done by reports, assessments or list size as of `day`; returns how many."""
    kinds: dict[str, dict[str, Item]] = defaultdict(dict)
    for _, item in plan.items():
        kinds[item.kind][item.id] = item
    return (
        _by_reports(session, plan.campaign.id, phase_id, day, kinds["task"])
        + _by_lists(session, plan, phase_id, day, kinds["list"])
        + _by_standards(session, plan, phase_id, day, kinds["standards"])
    )


def _open(campaign_id: str, phase_id: str, day: date, item_ids: Iterable[str]) -> tuple[ColumnElement[bool], ...]:
    """The open work of a phase on `day` among these items, as the other steps see it."""
    return OpenWork(campaign_id, phase_id, day).where(item_ids)


def _by_reports(session: Session, campaign_id: str, phase_id: str, day: date, items: dict[str, Item]) -> int:
    """The earliest pending report of an (item, assignee) completes its earliest open occurrence."""
    queues = {key: queue for key, queue in pending_reports(session, campaign_id, day).items() if key[0] in items}
    if not queues:
        return 0
    work = session.exec(
        select(tables.Assignment)
        .where(
            *_open(campaign_id, phase_id, day, {item for item, _ in queues}),
            col(tables.Assignment.assignee).in_(sorted({assignee for _, assignee in queues})),
        )
        .order_by(col(tables.Assignment.occurrence), col(tables.Assignment.id))
    ).all()
    done = 0
    for assignment in work:
        queue = queues.get((assignment.item_id, assignment.assignee))
        if queue:
            report = queue.pop(0)
            report.assignment_id = assignment.id
            assignment.completed_on = max(report.day, assignment.assigned_on)
            session.add_all([report, assignment])
            done += 1
    return done


def _by_lists(session: Session, plan: Plan, phase_id: str, day: date, items: dict[str, Item]) -> int:
    """A list item is done once its list holds the share: the share is computed once an item, not per assignee."""
    waiting = session.exec(
        select(tables.Assignment.item_id).where(*_open(plan.campaign.id, phase_id, day, items)).distinct()
    ).all()
    done = 0
    for item_id in sorted(waiting):
        item = items[item_id]
        lists = list_closure(plan, item.list_id or "")
        on_list = members_on(plan, _members(session, plan.campaign.id, lists), item.list_id or "", day)
        reached = share_reached_on(on_list.values(), item.min_share or 1.0, len(plan.communities))
        if reached is not None:
            assigned_on = col(tables.Assignment.assigned_on)
            closed = session.execute(
                update(tables.Assignment)
                .where(*_open(plan.campaign.id, phase_id, day, [item_id]))
                .values(completed_on=case((assigned_on > reached, assigned_on), else_=literal(reached)))
                .execution_options(synchronize_session="fetch")
            )
            done += cast(CursorResult[Any], closed).rowcount
    return done


def _members(session: Session, campaign_id: str, lists: Iterable[str]) -> Members:
    members: dict[str, dict[str, date]] = defaultdict(dict)
    rows = session.exec(
        select(tables.ListMember).where(
            tables.ListMember.campaign_id == campaign_id, col(tables.ListMember.list_id).in_(sorted(lists))
        )
    )
    for row in rows:
        members[row.list_id][row.community_id] = row.since
    return members


def _by_standards(session: Session, plan: Plan, phase_id: str, day: date, items: dict[str, Item]) -> int:
    """Only assignees assessed on every standard by `day` can be done: the rest are not read at all."""
    standards = {s.id for s in plan.standards}
    if not items or not standards:
        return 0  # with no standards nothing completes a standards item
    assessed = (
        select(tables.Assessment.community_id)
        .where(
            tables.Assessment.campaign_id == plan.campaign.id,
            tables.Assessment.day <= day,
            col(tables.Assessment.standard_id).in_(sorted(standards)),
        )
        .group_by(col(tables.Assessment.community_id))
        .having(func.count(func.distinct(tables.Assessment.standard_id)) == len(standards))
    ).subquery()
    # the assignee's reference is read as a community whatever its kind, as the marks always were
    referenced = [select(assignee_sql(kind, assessed.c.community_id)) for kind in UnitKind]
    work = session.exec(
        select(tables.Assignment).where(
            *_open(plan.campaign.id, phase_id, day, items),
            or_(*(col(tables.Assignment.assignee).in_(query) for query in referenced)),
        )
    ).all()
    marks = assessment_marks(session, plan.campaign.id, {ref_of(a.assignee) for a in work})
    done = 0
    for assignment in work:
        latest = latest_marks(marks.get(ref_of(assignment.assignee), []), day)
        finished = standards_completed_on(plan.standards, latest, assignment.assigned_on)
        if finished is not None:
            assignment.completed_on = finished
            session.add(assignment)
            done += 1
    return done


def assessment_marks(
    session: Session, campaign_id: str, communities: Iterable[str] | None = None
) -> dict[str, list[tuple[int, Mark]]]:
    """community → [(standard, mark)], every assessment recorded (of these communities, if given)."""
    s = tables.Assessment
    query = sql_select(col(s.community_id), col(s.standard_id), col(s.day), col(s.id), col(s.value))
    query = query.where(col(s.campaign_id) == campaign_id)
    if communities is None:
        batches = [query]
    else:
        batches = [query.where(col(s.community_id).in_(chunk)) for chunk in in_chunks(communities)]
    session.flush()  # assessments recorded earlier in this session count (as session.exec would see them)
    marks: dict[str, list[tuple[int, Mark]]] = defaultdict(list)
    for batch in batches:
        for community, standard_id, day, seq, value in session.connection().execute(batch):
            marks[community].append((standard_id, Mark(day, seq or 0, value)))
    return marks


def pending_reports(
    session: Session, campaign_id: str, day: date
) -> dict[tuple[str, str], list[tables.CompletionReport]]:
    """(item, assignee) → reports dated up to `day` not yet applied to an assignment, oldest first."""
    queues: dict[tuple[str, str], list[tables.CompletionReport]] = defaultdict(list)
    rows = session.exec(
        select(tables.CompletionReport)
        .where(
            tables.CompletionReport.campaign_id == campaign_id,
            col(tables.CompletionReport.assignment_id).is_(None),
            tables.CompletionReport.day <= day,
        )
        .order_by(col(tables.CompletionReport.day), col(tables.CompletionReport.id))
    )
    for row in rows:
        queues[(row.item_id, row.assignee)].append(row)
    return queues
