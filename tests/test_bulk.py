"""Bulk inserts larger than one statement's parameter limit (65,535 on PostgreSQL, 32,766 on SQLite)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import col, select

from models import tables
from models.plan.checks import parse_plan
from tasks.db import insert_ignoring_duplicates, session_scope, upgrade
from tasks.mail.outbox import compose
from tasks.store import sync_plan
from tests.conftest import SMALL_PLAN

KEYS = ["campaign_id", "item_id", "assignee", "occurrence"]


def test_a_day_with_more_rows_than_one_statement_takes_inserts_them_all_once(database_url: str) -> None:
    upgrade(database_url)
    rows: list[dict[str, object]] = [
        {
            "campaign_id": "small-test",
            "item_id": "pilot.plan",
            "phase_id": "pilot",
            "assignee": f"community:n{n}",
            "occurrence": 0,
            "due": date(2022, 1, 14),
            "assigned_on": date(2022, 1, 4),
        }
        for n in range(12_000)  # 84,000 parameters in one VALUES list
    ]
    with session_scope(database_url) as session:
        sync_plan(session, parse_plan(SMALL_PLAN.read_text(encoding="utf-8")), actor="test", now=datetime.now(UTC))
        assert insert_ignoring_duplicates(session, tables.Assignment, rows, KEYS) == 12_000
    with session_scope(database_url) as session:
        assert insert_ignoring_duplicates(session, tables.Assignment, rows, KEYS) == 0


def test_compose_stores_a_large_run_in_batches_one_email_per_reader(database_url: str) -> None:
    """6,000 notices to 1,200 readers: stored in several batches, every notice in exactly one e-mail."""
    upgrade(database_url)
    plan = parse_plan(SMALL_PLAN.read_text(encoding="utf-8"))
    count, readers = 6_000, 1_200
    work = [{**row, "assignee": f"community:n{n}"} for n, row in enumerate([ASSIGNMENT] * count)]
    with session_scope(database_url) as session:
        sync_plan(session, plan, actor="test", now=datetime.now(UTC))
        insert_ignoring_duplicates(session, tables.Assignment, work, KEYS)
        ids = session.exec(select(tables.Assignment.id).order_by(col(tables.Assignment.id))).all()
        notices = [_notice(n, assignment_id, f"r{n % readers}@example.org") for n, assignment_id in enumerate(ids)]
        insert_ignoring_duplicates(session, tables.Notice, notices, ["campaign_id", "key"])
    with session_scope(database_url) as session:
        assert compose(session, plan, "pilot", date(2022, 1, 4), mail_from="greencomm@example.org") == readers
    with session_scope(database_url) as session:
        stored = session.exec(select(tables.Outbox.notice_ids)).all()
    taken = [notice_id for ids in stored for notice_id in ids]
    assert len(taken) == len(set(taken)) == count


ASSIGNMENT: dict[str, object] = {
    "campaign_id": "small-test",
    "item_id": "pilot.plan",
    "phase_id": "pilot",
    "occurrence": 0,
    "due": date(2022, 1, 14),
    "assigned_on": date(2022, 1, 4),
}


def _notice(n: int, assignment_id: int | None, reader: str) -> dict[str, object]:
    return {
        "campaign_id": "small-test",
        "key": f"a{assignment_id}/assigned/0",
        "phase_id": "pilot",
        "day": date(2022, 1, 4),
        "item_id": "pilot.plan",
        "assignee": f"community:n{n}",
        "assignment_id": assignment_id,
        "stage": "assigned",
        "cycle": 0,
        "recipients": [reader],
        "roles": {reader: ["assignee", "联络员"]},
        "overdue_days": 0,
    }
