"""The bare SQL baseline of a phase run: the same work as set-based statements over the driver, no ORM.

1. assign: per item one INSERT … SELECT … ON CONFLICT DO NOTHING of every (item, community);
2. check: one UPDATE completing open assignments from pending completion reports;
3. escalate: per item the stage reached today (pure rule, once per due day), then one INSERT … SELECT of its
   notices from the open assignments, recipients joined from a table of the plan's people;
4. compose: one pass over today's new notices ordered by recipient, one plain-text body per recipient,
   the outbox rows inserted in batches, the notices marked.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from itertools import groupby
from typing import Any

from sqlalchemy import Date, bindparam, text
from sqlalchemy.engine import Connection

from models.engine.rules import recipients, stage_due, supervising_offices
from models.plan.schema import Plan
from tasks.db import get_engine
from tests.bench.data import CAMPAIGN, PHASE, assignment_rows, date_params, key_sql

BATCH = 5000


def bare_phase_run(url: str, backend: str, plan: Plan, day: date) -> dict[str, int]:
    with get_engine(url).begin() as connection:
        assigned = sum(
            connection.execute(date_params(sql), params).rowcount
            for sql, params in assignment_rows(plan, backend, conflict=True)
        )
        completed = _complete(connection, day)
        notices = _escalate(connection, backend, plan, day)
        emails = _compose(connection, backend, day)
    return {"assigned": max(assigned, 0), "completed": completed, "notices": notices, "emails": emails}


def _complete(connection: Connection, day: date) -> int:
    pending = (
        "FROM completionreport r WHERE r.campaign_id = assignment.campaign_id AND r.item_id = assignment.item_id"
        " AND r.assignee = assignment.assignee AND r.assignment_id IS NULL AND r.day <= :day"
    )
    statement = text(
        f"UPDATE assignment SET completed_on = (SELECT min(r.day) {pending}) WHERE campaign_id = :cid"
        f" AND phase_id = :phase AND completed_on IS NULL AND EXISTS (SELECT 1 {pending})"
    ).bindparams(bindparam("day", type_=Date))
    return int(connection.execute(statement, {"cid": CAMPAIGN, "phase": PHASE, "day": day}).rowcount)


def _escalate(connection: Connection, backend: str, plan: Plan, day: date) -> int:
    connection.execute(text("CREATE TEMP TABLE people (assignee TEXT PRIMARY KEY, contact TEXT, head TEXT)"))
    rows = [{"a": f"community:{c.id}", "c": c.contact.email, "h": c.head.email} for c in plan.communities]
    for start in range(0, len(rows), BATCH):
        connection.execute(text("INSERT INTO people VALUES (:a, :c, :h)"), rows[start : start + BATCH])
    array = "json_build_array" if backend == "postgres" else "json_array"
    calendar, made = plan.calendar(), 0
    for item in plan.phase(PHASE).items:
        assert isinstance(item.due, date)
        hit = stage_due(due=item.due, day=day, calendar=calendar, escalation=plan.escalation, optional=item.optional)
        if hit is None:
            continue
        others = recipients(
            plan, [r for r in hit.notify if not r.startswith("assignee")], None, supervising_offices(plan, item, [])
        )
        people = [f"p.{'contact' if r == 'assignee' else 'head'}" for r in hit.notify if r.startswith("assignee")]
        people += [f"'{email}'" for email in others]
        key = key_sql(str(hit.stage), hit.cycle, item.due)
        statement = text(
            "INSERT INTO notice (campaign_id, key, phase_id, day, item_id, assignee, assignment_id, stage, cycle,"
            f" recipients, roles, overdue_days, outbox_done) SELECT a.campaign_id, {key}, a.phase_id, :day, a.item_id,"
            f" a.assignee, a.id, :stage, :cycle, {array}({', '.join(people)}), '{{}}', :overdue, false"
            " FROM assignment a JOIN people p ON p.assignee = a.assignee WHERE a.campaign_id = :cid"
            " AND a.phase_id = :phase AND a.item_id = :item AND a.completed_on IS NULL AND a.assigned_on <= :day"
            " ON CONFLICT (campaign_id, key) DO NOTHING"
        ).bindparams(bindparam("day", type_=Date))
        params = {"cid": CAMPAIGN, "phase": PHASE, "item": item.id, "day": day}
        made += connection.execute(
            statement, params | {"stage": str(hit.stage), "cycle": hit.cycle, "overdue": 0}
        ).rowcount
    return made


def _compose(connection: Connection, backend: str, day: date) -> int:
    each = (
        "json_array_elements_text(n.recipients::json) AS r(value)"
        if backend == "postgres"
        else "json_each(n.recipients) AS r"
    )
    cursor = connection.execute(
        text(
            f"SELECT r.value, n.id, n.item_id, n.assignee, n.stage FROM notice n, {each}"
            " WHERE n.campaign_id = :cid AND n.phase_id = :phase AND n.outbox_done = false ORDER BY r.value, n.id"
        ).execution_options(stream_results=True),
        {"cid": CAMPAIGN, "phase": PHASE},
    )
    insert = text(
        "INSERT INTO outbox (campaign_id, message_id, phase_id, day, recipient, subject, body, notice_ids, status,"
        " attempts) VALUES (:cid, :mid, :phase, :day, :to, :subject, :body, :ids, 'pending', 0)"
    ).bindparams(bindparam("day", type_=Date))
    batch: list[dict[str, Any]] = []
    emails = 0
    for to, rows in groupby(cursor, key=lambda row: str(row[0])):
        mine = list(rows)
        body = "\n".join(f"{item} {assignee} {stage}" for _, _, item, assignee, stage in mine).encode()
        ids = json.dumps([row[1] for row in mine])
        batch.append(
            {"cid": CAMPAIGN, "mid": f"<{uuid.uuid4()}@bench>", "phase": PHASE, "day": day, "to": to}
            | {"subject": f"{len(mine)} 项", "body": body, "ids": ids}
        )
        emails += 1
        if len(batch) >= BATCH:
            connection.execute(insert, batch)
            batch.clear()
    if batch:
        connection.execute(insert, batch)
    connection.execute(
        text(
            "UPDATE notice SET outbox_done = true"
            " WHERE campaign_id = :cid AND phase_id = :phase AND outbox_done = false"
        ),
        {"cid": CAMPAIGN, "phase": PHASE},
    )
    return emails
