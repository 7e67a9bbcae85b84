"""Escalation reads only what lacks a notice: the same notices as the rules applied one open assignment at a
time, on more open assignments than one SQLite statement may name (32,766 parameters)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, col, delete, select

from models import tables
from models.engine.rules import (
    StageHit,
    addressee,
    latest_marks,
    recipients,
    stage_due,
    supervising_offices,
    unmet_standards,
)
from models.engine.stages import Moved, effective_due
from models.plan.schema import Plan
from models.vocabulary import ASSIGNED, EXTENDED, NoticeKey, Role, Stage, ref_of
from tasks.db import get_engine, session_scope, upgrade
from tasks.engine.completion import assessment_marks
from tasks.engine.escalate import escalate
from tasks.engine.open_work import open_assignments
from tasks.store import load_campaign
from tests.bench.data import CAMPAIGN, DAY, PHASE, Database, populate

COMMUNITIES = 3_000  # 60,000 assignments, 36,000 of them open on DAY


def test_escalation_sends_what_the_per_assignment_rules_send_past_one_statements_parameters(
    database_url: str,
) -> None:
    if database_url.startswith("sqlite"):  # this build allows 250,000; stock SQLite builds since 3.32 allow 32,766
        event.listen(get_engine(database_url), "connect", _stock_sqlite_limit)
    upgrade(database_url)
    populate(Database(database_url, "postgres" if database_url.startswith("postgresql") else "sqlite"), COMMUNITIES)
    with session_scope(database_url) as session:
        _vary(session)
    with session_scope(database_url) as session:
        plan = load_campaign(session, CAMPAIGN)
        assert len(open_assignments(session, CAMPAIGN, PHASE, DAY)) > 32_766
        expected = _per_assignment(session, plan)
        listed = escalate(session, plan, PHASE, DAY, dry_run=True)
        assert [_facts(n) for n in listed] == expected
        stages = {(n["stage"], n["cycle"]) for n in expected}
        assert stages >= {("assigned", 0), ("extended", 2), ("remind-3", 0), ("overdue-3", 0), ("overdue-4", 1)}
        assert len(escalate(session, plan, PHASE, DAY, dry_run=False)) == len(expected)
    with session_scope(database_url) as session:
        assert escalate(session, load_campaign(session, CAMPAIGN), PHASE, DAY, dry_run=False) == []


def _stock_sqlite_limit(connection: sqlite3.Connection, _record: object) -> None:
    connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32_766)


def _vary(session: Session) -> None:
    """Claims pending, decided later and rejected; extensions in force, dated later and rejected; 交办 and a stage
    notice that were never stored."""
    open_work = open_assignments(session, CAMPAIGN, PHASE, DAY)
    late = [a for a in open_work if a.due < DAY]
    cid, yesterday = CAMPAIGN, DAY - timedelta(days=3)
    claims = [("pending", None), ("confirmed", DAY + timedelta(days=1)), ("rejected", yesterday)]
    for a, (status, decided) in zip(late[:3], claims, strict=True):
        session.add(
            tables.Claim(campaign_id=cid, assignment_id=a.id or 0, day=yesterday, status=status, decided_on=decided)
        )
    moved = [
        (late[3], yesterday, "approved"),
        (late[4], DAY + timedelta(days=2), "approved"),
        (late[5], yesterday, "rejected"),
    ]
    moved += [(late[6], yesterday - timedelta(days=7), "approved"), (late[6], yesterday, "approved")]
    for a, day, status in moved:
        new_due = DAY + timedelta(days=1)
        session.add(
            tables.Extension(
                campaign_id=cid, assignment_id=a.id or 0, day=day, previous_due=a.due, new_due=new_due, status=status
            )
        )
        if status == "approved":
            a.due = new_due
            session.add(a)
    forgotten = [notice_key(a.id, a.due, ASSIGNED, 0) for a in open_work[-5:]] + [
        f"a{_first(late, i).id}/%" for i in ("bench.i04", "bench.i08")
    ]
    for pattern in forgotten:
        session.exec(delete(tables.Notice).where(col(tables.Notice.key).like(pattern)))


def _first(work: list[tables.Assignment], item_id: str) -> tables.Assignment:
    return next(a for a in work if a.item_id == item_id)


def _per_assignment(session: Session, plan: Plan) -> list[dict[str, Any]]:
    """The rules of SPEC §4 over every open assignment, one at a time, as escalate() applied them before."""
    items = {i.id: i for _, i in plan.items()}
    stored = set(session.exec(select(tables.Notice.key)))
    held = {
        c.assignment_id
        for c in session.exec(select(tables.Claim).where(tables.Claim.day <= DAY))
        if c.status == "pending" or (c.decided_on is not None and c.decided_on > DAY)
    }
    moves: dict[int, list[Moved]] = defaultdict(list)
    for e in session.exec(select(tables.Extension).order_by(col(tables.Extension.day), col(tables.Extension.id))):
        if e.status == "approved":
            moves[e.assignment_id].append(Moved(e.day, e.previous_due, e.new_due))
    marks, found = assessment_marks(session, CAMPAIGN), []
    for a in open_assignments(session, CAMPAIGN, PHASE, DAY):
        item, mine = items[a.item_id], moves.get(a.id or 0, [])
        due = effective_due(a.due, mine, DAY)
        hits = [StageHit(ASSIGNED, 0, tuple(plan.escalation.assign.notify), 0)]
        in_force = [m for m in mine if m.day <= DAY]
        hits += [StageHit(EXTENDED, len(in_force), (Role.ASSIGNEE,), 0)] if in_force else []
        stage = stage_due(
            due=due, day=DAY, calendar=plan.calendar(), escalation=plan.escalation, optional=item.optional
        )
        hits += [stage] if stage and a.id not in held else []
        unmet = unmet_standards(plan.standards, latest_marks(marks.get(ref_of(a.assignee), []), DAY))
        for hit in (h for h in hits if notice_key(a.id, due, h.stage, h.cycle) not in stored):
            people = recipients(plan, hit.notify, addressee(plan, a.assignee), supervising_offices(plan, item, unmet))
            if people:
                found.append(
                    {
                        "key": notice_key(a.id, due, hit.stage, hit.cycle),
                        "assignment_id": a.id,
                        "item_id": a.item_id,
                        "assignee": a.assignee,
                    }
                    | {"stage": str(hit.stage), "cycle": hit.cycle, "overdue_days": hit.overdue_days}
                    | {"recipients": sorted(people), "roles": {e: [r, n] for e, (r, n) in people.items()}}
                )
    return found


def notice_key(assignment_id: int | None, due: date, stage: Stage, cycle: int) -> str:
    assert assignment_id is not None
    return str(NoticeKey.for_assignment(assignment_id, due, stage, cycle))


def _facts(notice: tables.Notice) -> dict[str, Any]:
    fields = ["key", "assignment_id", "item_id", "assignee", "stage", "cycle", "overdue_days", "recipients", "roles"]
    return {f: getattr(notice, f) for f in fields}
