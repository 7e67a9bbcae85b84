"""A plan reloaded with fewer ladder stages while notices of a dropped stage wait to be sent (issue 21, bug c):
the reload is refused with one clear line, and compose never crashes on a stage the plan does not know."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from deployments.cli import app
from deployments.ops.up import prepare_campaign
from deployments.plan_file import load_plan
from models import tables
from models.plan.checks import PlanError
from models.plan.schema import Plan
from models.settings import Settings
from tasks.db import session_scope, upgrade
from tasks.engine.escalate import store_due_notices
from tasks.engine.work import assign
from tasks.mail.outbox import compose, parse_stored
from tasks.store import sync_plan
from tests.conftest import SMALL_PLAN, plan_data, write_plan

NOW = datetime(2022, 1, 21, 1, 0, tzinfo=UTC)
DAY = date(2022, 1, 21)  # pilot.plan, due 2022-01-14, is 5 working days overdue: the ladder's third stage
MAIL_FROM = "notices@t.example"


def shorter(plan: Plan) -> Plan:
    """The same plan with only the ladder's first stage."""
    cut = plan.model_copy(deep=True)
    cut.escalation.ladder = cut.escalation.ladder[:1]
    return cut


def escalated(url: str) -> Plan:
    """The small plan loaded, its pilot work assigned and today's notices stored, none composed yet."""
    plan = load_plan(SMALL_PLAN)
    upgrade(url)
    with session_scope(url) as session:
        sync_plan(session, plan, actor="test", now=NOW)
        assign(session, plan, "pilot", date(2022, 1, 4))
        store_due_notices(session, plan, "pilot", DAY)
    with session_scope(url) as session:
        stages = session.exec(select(tables.Notice.stage).where(tables.Notice.outbox_done == False)).all()  # noqa: E712
    assert stages.count("overdue-3") == 3  # one per community
    return plan


def test_compose_words_a_stage_the_plan_no_longer_has_instead_of_crashing(database_url: str) -> None:
    escalated(database_url)
    with session_scope(database_url) as session:  # a plan object that lost the stage: compose reads it as 督办
        assert compose(session, shorter(load_plan(SMALL_PLAN)), "pilot", DAY, mail_from=MAIL_FROM) > 0
    with session_scope(database_url) as session:
        bodies = session.exec(select(tables.Outbox.body).where(tables.Outbox.recipient == "director@t.example")).all()
    text = parse_stored(bodies[0]).get_body(("plain",))
    assert text is not None and "【督办】制定方案" in text.get_content() and "逾期5个工作日" in text.get_content()


def test_a_reload_dropping_a_stage_unsent_notices_name_is_refused_until_they_are_sent(database_url: str) -> None:
    plan = escalated(database_url)
    with session_scope(database_url) as session, pytest.raises(PlanError) as refused:
        sync_plan(session, shorter(plan), actor="test", now=NOW)
    assert refused.value.problems == [
        "escalation.ladder: stage overdue-3 (报领导小组办公室) is dropped, but 3 notices of it in phase pilot are "
        "not sent yet; load this plan after that phase's next run, or keep the stage until then"
    ]
    with session_scope(database_url) as session:
        assert len(session.exec(select(tables.Audit)).all()) == 1  # nothing of the refused plan was kept
        compose(session, plan, "pilot", DAY, mail_from=MAIL_FROM)
    with session_scope(database_url) as session:
        assert sync_plan(session, shorter(plan), actor="test", now=NOW) != {}  # their e-mails are out: loaded


def test_plan_load_refuses_it_with_one_line_and_exit_2(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    escalated(database_url)
    data: dict[str, Any] = plan_data()
    data["escalation"]["ladder"] = data["escalation"]["ladder"][:2]
    monkeypatch.setenv("GREENCOMM_DATABASE_URL", database_url)
    monkeypatch.setenv("GREENCOMM_VAR_DIR", str(tmp_path / "var"))
    path = write_plan(tmp_path, data)
    result = CliRunner().invoke(app, ["plan", "load", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        "escalation.ladder: stage overdue-3 (报领导小组办公室) is dropped, but 3 notices of it in phase pilot are "
        "not sent yet; load this plan after that phase's next run, or keep the stage until then"
    ]
    with pytest.raises(PlanError):  # `up` loads the plan the same way (then the command exits 2 on that line)
        prepare_campaign(Settings(), load_plan(path), None)
