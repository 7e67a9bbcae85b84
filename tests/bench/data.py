"""The benchmark's campaign: the seed plan blown up to many communities, one phase of 20 items a community, and
its assignments and earlier notices written straight into the database with set-based SQL (no simulation).

On the run day 15% of the assignments are overdue (open, due before it), and the notices of the stages they
reached earlier are stored, as earlier runs would have left them: the run only sends what is new that day.
"""

from __future__ import annotations

import importlib
import importlib.util
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Date, bindparam, create_engine, text
from sqlalchemy.engine import Connection

from models.engine.rules import stage_due
from models.plan.checks import normalise
from models.plan.schema import Plan
from tasks.db import get_engine, session_scope, upgrade
from tasks.engine.work import assign
from tasks.store import sync_plan

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "deployments" / "plans" / "qingyang-2022.yaml"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CAMPAIGN, PHASE = "bench", "bench"
DAY = date(2024, 6, 3)  # a Monday; the plan counts weekdays
ITEMS = 20
OVERDUE_DAYS = (1, 2, 4, 6, 9, 12, 16, 20, 30, 40)  # working days past due on DAY, one item each
AHEAD_DAYS = (1, 2, 3, 5, 8, 12, 20, 30, 45, 60)  # working days before due on DAY
DONE_PAST, DONE_AHEAD = 7, 1  # of every 10 communities, how many finished a past / a coming item


def bench_plan(communities: int, items: int = ITEMS) -> Plan:
    """The seed plan's offices, standards and escalation; `communities` communities; one phase 'bench' of
    `items` items (the first ones of OVERDUE_DAYS + AHEAD_DAYS)."""
    data: dict[str, Any] = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    data["campaign"] |= {"id": CAMPAIGN, "calendar": "weekdays", "end": date(2024, 12, 31)}
    data["communities"] = [
        {
            "id": f"b{n}",
            "name": f"测试社区{n}",
            "contact": {"name": f"联系人{n}", "email": f"b{n}.contact@bench.example"},
            "head": {"name": f"书记{n}", "email": f"b{n}.head@bench.example"},
        }
        for n in range(1, communities + 1)
    ]
    offices = [o["id"] for o in data["offices"]]
    dues = [_workdays_from(DAY, -k) for k in OVERDUE_DAYS] + [_workdays_from(DAY, k) for k in AHEAD_DAYS]
    data["phases"] = [
        {
            "id": PHASE,
            "name": "压力测试",
            "start": date(2024, 1, 1),
            "end": date(2024, 12, 31),
            "items": [
                {
                    "id": f"bench.i{i:02d}",
                    "title": f"事项{i}",
                    "owner": "communities",
                    "due": due,
                    "supervisors": [offices[i % len(offices)]],
                }
                for i, due in enumerate(dues[:items])
            ],
        }
    ]
    data["lists"], data["targets"] = [], []
    return normalise(Plan.model_validate(data))


def _workdays_from(day: date, k: int) -> date:
    step = 1 if k > 0 else -1
    while k:
        day = date.fromordinal(day.toordinal() + step)
        k -= step if day.weekday() < 5 else 0
    return day


@dataclass(frozen=True)
class Database:
    url: str
    backend: str  # sqlite | postgres


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[Database]:
    """An empty, migrated database: a SQLite file in `folder` or a PostgreSQL schema of its own (dropped after)."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        upgrade(url)
        yield Database(url, backend)
        get_engine(url).dispose()
        return
    schema = f"gc_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        yield Database(url, backend)
    finally:
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def series(backend: str, count: int) -> str:
    """A FROM clause giving n = 1..count."""
    if backend == "postgres":
        return f"generate_series(1, {count}) AS s(n)"
    return f"(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count}) SELECT n FROM s) AS s"


ASSIGNMENT_SELECT = """
    SELECT :cid, :item, :phase, 'community:b' || n, 0, :due, :assigned, {completed}
    FROM {series}"""


def assignment_rows(plan: Plan, backend: str, *, conflict: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    """Per item, one INSERT … SELECT of its assignments (the same statement the baseline issues to assign)."""
    count = len(plan.communities)
    phase = plan.phase(PHASE)
    for index, item in enumerate(phase.items):
        done_share = DONE_PAST if index < len(OVERDUE_DAYS) else DONE_AHEAD
        completed = f"CASE WHEN n % 10 < {done_share} THEN :due ELSE NULL END" if not conflict else "NULL"
        sql = (
            "INSERT INTO assignment (campaign_id, item_id, phase_id, assignee, occurrence, due, assigned_on,"
            " completed_on)" + ASSIGNMENT_SELECT.format(completed=completed, series=series(backend, count))
        )
        if conflict:
            # the WHERE keeps SQLite from reading ON CONFLICT as a join condition
            sql += " WHERE true ON CONFLICT (campaign_id, item_id, assignee, occurrence) DO NOTHING"
        yield sql, {"cid": CAMPAIGN, "item": item.id, "phase": PHASE, "due": item.due, "assigned": phase.start}


def date_params(statement: str) -> Any:
    return text(statement).bindparams(bindparam("due", type_=Date), bindparam("assigned", type_=Date))


def populate(database: Database, communities: int, items: int = ITEMS) -> dict[str, int]:
    """Load the plan, insert every assignment and the notices earlier runs stored; returns the counts."""
    plan = bench_plan(communities, items)
    with session_scope(database.url) as session:
        sync_plan(session, plan, actor="bench", now=datetime(2024, 1, 1, tzinfo=UTC))
    engine = get_engine(database.url)
    with engine.begin() as connection:
        for statement, params in assignment_rows(plan, database.backend, conflict=False):
            connection.execute(date_params(statement), params)
        history = _earlier_notices(connection, plan)
        assignments = connection.execute(text("SELECT count(*) FROM assignment")).scalar_one()
        overdue = connection.execute(
            text("SELECT count(*) FROM assignment WHERE completed_on IS NULL AND due < :day").bindparams(
                bindparam("day", type_=Date)
            ),
            {"day": DAY},
        ).scalar_one()
    with session_scope(database.url) as session:  # the previous working day's run, as a daily schedule leaves it
        assign(session, plan, PHASE, DAY - timedelta(days=3))
    if database.backend == "postgres":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    return {"assignments": int(assignments), "overdue": int(overdue), "stored_notices": history}


def key_sql(stage: str, cycle: int, due: date) -> str:
    """The notice key escalate() would store, as SQL over an assignment's id (keys carry the due day once
    tasks.engine.escalate has notice_key, later models.vocabulary's NoticeKey; 交办 is once per assignment)."""
    escalate = importlib.import_module("tasks.engine.escalate")
    if not hasattr(escalate, "notice_key") and importlib.util.find_spec("models.vocabulary") is None:
        return f"'a' || id || '/{stage}/{cycle}'"
    if stage == "assigned":
        return "'a' || id || '/assigned/0'"
    return f"'a' || id || '/{due.isoformat()}/{stage}/{cycle}'"


def _earlier_notices(connection: Connection, plan: Plan) -> int:
    """For each past item, the notice of the stage its open assignments already reached the working day before;
    交办 for every assignment when the plan sends one (they were all assigned long before)."""
    calendar = plan.calendar()
    yesterday = _workdays_from(DAY, -1)
    handover = getattr(getattr(plan.escalation, "assign", None), "notify", None)
    stored = 0
    for item in plan.phase(PHASE).items:
        assert isinstance(item.due, date)
        before = stage_due(due=item.due, day=yesterday, calendar=calendar, escalation=plan.escalation, optional=False)
        today = stage_due(due=item.due, day=DAY, calendar=calendar, escalation=plan.escalation, optional=False)
        stages = [("assigned", 0, "1 = 1")] if handover else []
        if before and today and (before.stage, before.cycle) == (today.stage, today.cycle):
            # else it is new today: the run sends it
            stages.append((str(today.stage), today.cycle, "completed_on IS NULL"))
        for stage, cycle, which in stages:
            result = connection.execute(
                text(
                    "INSERT INTO notice (campaign_id, key, phase_id, day, item_id, assignee, assignment_id, stage,"
                    f" cycle, recipients, roles, overdue_days, outbox_done) SELECT campaign_id,"
                    f" {key_sql(stage, cycle, item.due)}, phase_id, :day, item_id, assignee, id, :stage, :cycle,"
                    f" '[]', '{{}}', 0, true FROM assignment WHERE item_id = :item AND {which}"
                ).bindparams(bindparam("day", type_=Date)),
                {"day": yesterday, "stage": stage, "cycle": cycle, "item": item.id},
            )
            stored += result.rowcount
    return stored
