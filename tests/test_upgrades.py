"""Databases made by every earlier release, with a campaign under way, upgrade and carry on: no notice twice, and
no 交办 for assignments handed over before 交办 existed (migration 0009_handover_backfill)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from deployments.cli import app
from models import tables
from models.plan.checks import parse_plan
from models.vocabulary import ASSIGNED, NoticeKey
from tasks.day_run import run_day
from tasks.db import get_engine, upgrade
from tasks.ops import copy_rows
from tasks.store import load_campaign, sync_plan
from tests.conftest import SMALL_PLAN

RELEASES = ["0001", "0002", "0004", "0005", "0006", "0007", "0008"]  # every earlier head (there is no 0003)
BEFORE_HANDOVER = {"0001", "0002"}  # 交办 came with 0004
HISTORY = [date(2022, 1, 4) + timedelta(days=n) for n in range(15)]  # run under the old release: 01-04 … 01-18
AFTER = [date(2022, 1, 19), date(2022, 2, 7)]  # after the upgrade; 02-07 assigns the promotion phase's work


def run_days(url: str, days: list[date]) -> None:
    with Session(get_engine(url), expire_on_commit=False) as session:
        plan = load_campaign(session, "small-test")
        for day in days:
            for phase in plan.phases:
                if phase.start <= day:
                    run_day(session, plan, phase.id, day, mail_from="greencomm@t.example")
            session.commit()


def sent(url: str, since: int = 0) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """The notices (key, stage, recipients) and e-mails (recipient, subject, Message-ID) past id `since`."""
    with Session(get_engine(url)) as session:
        notices = session.exec(select(tables.Notice).where(col(tables.Notice.id) > since)).all()
        emails = session.exec(select(tables.Outbox).order_by(col(tables.Outbox.id))).all()
        return (
            sorted((n.key, n.stage, ",".join(n.recipients)) for n in notices),
            [(e.recipient, e.subject, e.message_id) for e in emails],
        )


def old_key(notice: dict[str, Any]) -> str:
    """The key as releases before 0004 wrote it (migration 0004 puts the due day in)."""
    return f"a{notice['assignment_id']}/{notice['stage']}/{notice['cycle']}"


def as_released(revision: str) -> Any:
    """Rows as that release wrote them: before 0004 no 交办 notice, keys `a<id>/<stage>/<cycle>`."""

    def adapt(table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if table != "notice" or revision not in BEFORE_HANDOVER:
            return rows
        old = [n for n in rows if n["stage"] != "assigned"]
        return [n | {"key": old_key(n)} if n["assignment_id"] else n for n in old]

    return adapt


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The campaign's first fortnight, run by today's code on SQLite: copied into each old schema below."""
    url = f"sqlite:///{tmp_path_factory.mktemp('history') / 'history.db'}"
    upgrade(url)
    with Session(get_engine(url)) as session:
        sync_plan(session, parse_plan(SMALL_PLAN.read_text(encoding="utf-8")), actor="test", now=datetime.now(UTC))
        session.commit()
    run_days(url, HISTORY)
    return url


def old_database(history: str, url: str, revision: str, adapt: Any) -> None:
    """A database at `revision` holding the history."""
    upgrade(url, revision)
    with get_engine(history).connect() as source, get_engine(url).begin() as target:
        copy_rows(source, target, adapt)


def db_upgrade(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`greencomm db upgrade`, as an operator runs it."""
    monkeypatch.setenv("GREENCOMM_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert (result.exit_code, result.stdout) == (0, "database is up to date\n")


def last_notice(url: str) -> int:
    with Session(get_engine(url)) as session:
        return max((i or 0 for i in session.exec(select(tables.Notice.id))), default=0)


@pytest.mark.parametrize("revision", RELEASES)
def test_an_old_database_upgrades_and_carries_on_as_if_never_upgraded(
    history: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, revision: str
) -> None:
    expected_url = f"sqlite:///{tmp_path / 'expected.db'}"  # the same history, never on an old schema
    old_database(history, expected_url, "head", None)
    old_database(history, database_url, revision, as_released(revision))
    db_upgrade(database_url, monkeypatch)
    since, expected_since = last_notice(database_url), last_notice(expected_url)
    for url in (database_url, expected_url):
        run_days(url, AFTER)
    notices, emails = sent(database_url, since)
    expected_notices, expected_emails = sent(expected_url, expected_since)
    assert notices == expected_notices
    assert emails == expected_emails
    handed_over = {NoticeKey.parse(key).assignment_id for key, stage, _ in notices if stage == "assigned"}
    assert handed_over  # promotion's new work still gets its 交办
    with Session(get_engine(database_url)) as session:
        old = session.exec(select(tables.Assignment.id).where(tables.Assignment.assigned_on <= HISTORY[-1])).all()
    assert not handed_over & set(old)  # no 交办 for work handed over before


def test_a_campaign_that_has_not_run_a_working_day_keeps_its_first_handover(history: str, sqlite_url: str) -> None:
    """At 0008, assignments made on a rest day and no notice yet: the backfill leaves them their 交办."""

    def no_notices(table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [] if table in ("notice", "outbox") else rows

    old_database(history, sqlite_url, "0008", no_notices)
    upgrade(sqlite_url)
    run_days(sqlite_url, AFTER[:1])
    notices, _ = sent(sqlite_url)
    with Session(get_engine(sqlite_url)) as session:
        open_work = session.exec(select(tables.Assignment).where(col(tables.Assignment.completed_on).is_(None))).all()
    handovers = {key for key, stage, _ in notices if stage == "assigned"}
    assert handovers == {str(NoticeKey.for_assignment(a.id or 0, a.due, ASSIGNED, 0)) for a in open_work}
