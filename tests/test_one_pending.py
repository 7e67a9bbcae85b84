"""One request at a time (SPEC §7, issue 16 item 2): the database holds at most one pending claim and one pending
extension request per assignment, so concurrent submissions give one row (and one approval run); when both wait,
confirming the claim withdraws the extension request and rejecting it leaves the request to be decided."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from models import tables
from models.plan.checks import parse_plan
from tasks.approvals import Filed, decide, file_claim, request_extension
from tasks.db import session_scope, upgrade
from tasks.engine.work import assign
from tasks.store import sync_plan
from tests.conftest import SMALL_PLAN

SUBMITTERS = 20
DAY = date(2022, 1, 10)


@pytest.fixture
def url(database_url: str) -> str:
    upgrade(database_url)
    plan = parse_plan(SMALL_PLAN.read_text(encoding="utf-8"))
    with session_scope(database_url) as session:
        sync_plan(session, plan, actor="test", now=datetime.now(UTC))
        assign(session, plan, "pilot", DAY)
    return database_url


def the_assignment(url: str) -> tables.Assignment:
    with session_scope(url) as session:
        query = select(tables.Assignment).where(tables.Assignment.item_id == "pilot.plan")
        return session.exec(query.where(tables.Assignment.assignee == "community:c1")).one()


def submit(url: str, kind: str, who: str) -> Filed:
    a, now = the_assignment(url), datetime.now(UTC)
    with session_scope(url) as session:
        if kind == "claim":
            return file_claim(session, a, who, note="已完成", day=DAY, now=now)
        return request_extension(session, a, who, new_due=date(2022, 1, 21), reason="春节", day=DAY, now=now)


def at_once(url: str, kind: str) -> list[Filed]:
    """SUBMITTERS threads submit together (a barrier lines them up), each in its own session."""
    barrier, results, errors = threading.Barrier(SUBMITTERS), [], []

    def one(n: int) -> None:
        barrier.wait()
        try:
            results.append(submit(url, kind, "c1@t.example"))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(SUBMITTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


@pytest.mark.parametrize("kind", ["claim", "extension"])
def test_concurrent_submissions_give_one_pending_request(url: str, kind: str) -> None:
    results = at_once(url, kind)
    with session_scope(url) as session:
        rows = (
            session.exec(select(tables.Claim)).all()
            if kind == "claim"
            else session.exec(select(tables.Extension)).all()
        )
    assert len(rows) == 1
    assert len(results) == SUBMITTERS and {r.id for r in results} == {rows[0].id}
    assert sum(r.new for r in results) == 1  # only the first starts an approval run


def test_the_database_refuses_a_second_pending_row(url: str) -> None:
    submit(url, "claim", "c1@t.example")
    a = the_assignment(url)
    with pytest.raises(IntegrityError), session_scope(url) as session:
        session.add(tables.Claim(campaign_id=a.campaign_id, assignment_id=a.id or 0, day=DAY, status="pending"))
        session.flush()


def decision(url: str, kind: str, request_id: int, approve: bool) -> str:
    with session_scope(url) as session:
        now = datetime.now(UTC)
        return decide(session, kind, request_id, approve=approve, comment="", decided_by="主任甲", day=DAY, now=now)  # type: ignore[arg-type]


def test_confirming_a_claim_withdraws_the_waiting_extension_request(url: str) -> None:
    extension, claim = submit(url, "extension", "c1@t.example"), submit(url, "claim", "c1@t.example")
    assert decision(url, "claim", claim.id, True) == "approved"
    with session_scope(url) as session:
        row = session.get(tables.Extension, extension.id)
        assert row is not None and row.status == "withdrawn"
        actions = [a.action for a in session.exec(select(tables.Audit))]
    assert "extension.withdraw" in actions


def test_rejecting_a_claim_leaves_the_extension_request_to_be_decided(url: str) -> None:
    extension, claim = submit(url, "extension", "c1@t.example"), submit(url, "claim", "c1@t.example")
    assert decision(url, "claim", claim.id, False) == "rejected"
    with session_scope(url) as session:
        row = session.get(tables.Extension, extension.id)
        assert row is not None and row.status == "requested"
    again = submit(url, "claim", "c1@t.example")  # a new claim may be filed once the last was decided
    assert again.new and again.id != claim.id


def test_migration_0010_keeps_the_oldest_of_twin_pending_requests(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from tasks.db import MIGRATIONS, get_engine

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = get_engine(database_url)
    upgrade(database_url)
    plan = parse_plan(SMALL_PLAN.read_text(encoding="utf-8"))
    with session_scope(database_url) as session:
        sync_plan(session, plan, actor="test", now=datetime.now(UTC))
        assign(session, plan, "pilot", DAY)
    command.downgrade(config, "0008")
    with get_engine(database_url).begin() as connection:
        (assignment,) = connection.execute(text("SELECT id FROM assignment ORDER BY id LIMIT 1")).one()
        for _ in range(2):  # twins, as concurrent submissions left them before the index
            connection.execute(
                text(
                    "INSERT INTO extension (campaign_id, assignment_id, day, previous_due, new_due, reason, status,"
                    " comment) VALUES ('small-test', :a, '2022-01-10', '2022-01-14', '2022-01-21', '', 'requested', '')"
                ),
                {"a": assignment},
            )
    upgrade(database_url)
    with session_scope(database_url) as session:
        rows = session.exec(select(tables.Extension).order_by(tables.Extension.id)).all()  # type: ignore[arg-type]
    assert [row.status for row in rows] == ["requested", "withdrawn"]
    with pytest.raises(IntegrityError), session_scope(database_url) as session:
        session.add(tables.Extension(**rows[0].model_dump(exclude={"id"})))
        session.flush()


def test_a_request_left_undecided_is_reported_to_the_leading_group_office_once(url: str) -> None:
    from tasks.approvals import overdue_decisions

    filed = submit(url, "claim", "c1@t.example")  # Mon 2022-01-10; the 3rd working day after: Thu 01-13
    plan = parse_plan(SMALL_PLAN.read_text(encoding="utf-8"))
    told = []
    for day in (date(2022, 1, 13), date(2022, 1, 14), date(2022, 1, 17)):
        with session_scope(url) as session:
            now = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)
            told.append(
                overdue_decisions(
                    session, plan, day, working_days=3, now=now, mail_from="gc@t.example", channel="pilot"
                )
            )
    assert told == [0, 1, 0]
    with session_scope(url) as session:
        [notice] = session.exec(select(tables.Outbox)).all()
        claim = session.get(tables.Claim, filed.id)
    assert notice.recipient == "director@t.example" and "逾期未审核" in notice.subject and notice.phase_id == "pilot"
    assert claim is not None and claim.status == "pending"
