"""Bulk inserts larger than one statement's parameter limit (65,535 on PostgreSQL, 32,766 on SQLite)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from models import tables
from models.plan_rules import parse_plan
from tasks.db import session_scope, upgrade
from tasks.store import sync_plan
from tasks.work import insert_ignoring_duplicates
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
