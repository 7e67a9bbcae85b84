"""Migrations and a round trip of the plan into the tables, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import inspect
from sqlmodel import select

from deployments.plan_file import load_plan
from models import tables
from models.plan.checks import parse_plan
from tasks.db import get_engine, session_scope, upgrade
from tasks.store import load_campaign, sync_plan
from tests.conftest import SEED_PLAN

NOW = datetime(2022, 1, 4, 1, 0, tzinfo=UTC)


def test_migrations_create_every_table(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)  # idempotent
    names = set(inspect(get_engine(database_url)).get_table_names())
    assert {
        "campaign",
        "assignment",
        "listmember",
        "assessment",
        "notice",
        "outbox",
        "audit",
        "completionreport",
        "assignstate",
        "alembic_version",
    } <= names
    assert not {"office", "community", "item"} & names  # the plan JSON is their one source (migration 0002)


def test_the_seed_plan_round_trips_through_the_tables(database_url: str) -> None:
    plan = load_plan(SEED_PLAN)
    upgrade(database_url)
    with session_scope(database_url) as session:
        sync_plan(session, plan, actor="test", now=NOW)
    with session_scope(database_url) as session:
        again = load_campaign(session, plan.campaign.id)
        audit = session.exec(select(tables.Audit)).all()
    assert again.model_dump(mode="json") == plan.model_dump(mode="json")
    assert len(again.offices) == 10 and len(again.items()) == 11
    assert [a.action for a in audit] == ["plan-create"]


def test_a_changed_plan_updates_in_place_and_is_audited(database_url: str) -> None:
    text = SEED_PLAN.read_text(encoding="utf-8")
    plan = parse_plan(text)
    upgrade(database_url)
    with session_scope(database_url) as session:
        sync_plan(session, plan, actor="test", now=NOW)
        sync_plan(session, plan, actor="test", now=NOW)  # unchanged: no second audit row
    changed = parse_plan(text.replace("due: 2021-12-31", "due: 2021-12-30", 1))
    with session_scope(database_url) as session:
        change = sync_plan(session, changed, actor="test", now=NOW)
        audit = session.exec(select(tables.Audit).order_by(tables.Audit.id)).all()  # type: ignore[arg-type]
    assert list(change["due_changed"].values()) == [["2021-12-31", "2021-12-30"]]
    assert [a.action for a in audit] == ["plan-create", "plan-load"]


def test_migration_0002_downgrades_and_upgrades_again(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from tasks.db import MIGRATIONS

    upgrade(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = get_engine(database_url)
    command.downgrade(config, "0001")
    assert {"office", "community", "item"} <= set(inspect(get_engine(database_url)).get_table_names())
    upgrade(database_url)
    assert not {"office", "community", "item"} & set(inspect(get_engine(database_url)).get_table_names())


def test_migration_0008_keeps_each_notice_due_day_read_from_its_key(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from tasks.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = get_engine(database_url)
    command.upgrade(config, "0007")
    keys = ["a7/2022-01-31/overdue-2/1", "a7/assigned/0", "a12/2021-12-10/remind-0/0", "tpilot-2021/target-missed/0"]
    with get_engine(database_url).begin() as connection:
        connection.execute(
            text(
                "INSERT INTO campaign (id, name, timezone, plan, plan_digest, rehearsal_shift_days, loaded_at)"
                " VALUES ('c', 'c', 'Asia/Shanghai', '{}', '', 0, :at)"
            ),
            {"at": NOW},
        )
        for key in keys:
            connection.execute(
                text(
                    "INSERT INTO notice (campaign_id, key, phase_id, day, item_id, stage, cycle, recipients, roles,"
                    " overdue_days, outbox_done) VALUES ('c', :key, 'p', :day, 'i', 's', 0, '[]', '{}', 0, false)"
                ),
                {"key": key, "day": date(2022, 2, 8)},
            )
    upgrade(database_url)
    with session_scope(database_url) as session:
        dues = {n.key: n.due for n in session.exec(select(tables.Notice))}
    assert dues == dict(zip(keys, [date(2022, 1, 31), None, date(2021, 12, 10), None], strict=True))
