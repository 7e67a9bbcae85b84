"""The flows through Prefect (test harness) with e-mail through a real aiosmtpd server, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, func, select

from flows.phase import pilot_phase
from flows.record import ProgressEntry, record_progress
from flows.report import campaign_report
from models import tables
from models.plan.checks import parse_plan
from tasks import prefect_tasks
from tasks.db import session_scope, upgrade
from tasks.mail.mailsink import MailSink
from tasks.store import sync_plan
from tests.conftest import SMALL_PLAN
from tests.ports import free_port

CAMPAIGN = "small-test"
PILOT: Any = pilot_phase  # Prefect types a flow call as sync-or-async; these tests await it
REPORT: Any = campaign_report
D = date.fromisoformat


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(tmp_path / "mail") as running:
        yield running


@pytest.fixture
def campaign(prefect_server: None, database_url: str, sink: MailSink, monkeypatch: pytest.MonkeyPatch) -> str:
    """The small plan loaded; the flows' settings point at this database and the sink."""
    monkeypatch.setenv("GREENCOMM_DATABASE_URL", database_url)
    monkeypatch.setenv("GREENCOMM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GREENCOMM_SMTP_PORT", str(sink.port))
    monkeypatch.setenv("GREENCOMM_MAIL_FROM", "greencomm@qingyang.example")
    monkeypatch.setattr(prefect_tasks.deliver, "retry_delay_seconds", [0.1, 0.1])  # the outage tests stay fast
    upgrade(database_url)
    with session_scope(database_url) as session:
        sync_plan(session, parse_plan(SMALL_PLAN.read_text(encoding="utf-8")), actor="test", now=datetime.now(UTC))
    return database_url


def run(day: str, **parameters: Any) -> Any:
    return asyncio.run(PILOT(campaign_id=CAMPAIGN, as_of=D(day), **parameters))


def recipients(messages: list[EmailMessage]) -> list[str]:
    return sorted(str(m["To"]).rpartition("<")[2].rstrip(">") for m in messages)


def count(url: str, table: Any) -> int:
    with session_scope(url) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


# The 交办 e-mails of the first run (2022-01-04): each community's two items, the office's list.
HANDED_OVER = ("c1@t.example", "c2@t.example", "c3@t.example", "lead.liaison@t.example")


def test_a_phase_run_assigns_escalates_and_delivers(campaign: str, sink: MailSink) -> None:
    first = run("2022-01-04")
    assert first["assigned"] == 7 and first["notices"] == 7  # 交办: 3 + 3 community items, 1 office item
    assert recipients(sink.messages) == [*HANDED_OVER]
    result = run("2022-01-11")
    assert result["sent"] == 3
    assert recipients(sink.messages[len(HANDED_OVER) :]) == ["c1@t.example", "c2@t.example", "c3@t.example"]
    body = sink.messages[len(HANDED_OVER)].get_body(("plain",))
    assert body is not None and "制定方案" in body.get_content()


def test_a_rerun_of_the_same_day_sends_nothing_new(campaign: str, sink: MailSink) -> None:
    run("2022-01-04")
    run("2022-01-11")
    again = run("2022-01-11")
    assert (again["notices"], again["emails"], again["sent"]) == (0, 0, 0)
    assert len(sink.messages) == len(HANDED_OVER) + 3
    assert count(campaign, tables.Notice) == 7 + 3


def test_two_runs_of_the_same_day_at_once_send_each_notice_once(campaign: str, sink: MailSink) -> None:
    run("2022-01-04")

    async def both() -> None:
        await asyncio.gather(*(PILOT(campaign_id=CAMPAIGN, as_of=D("2022-01-11")) for _ in range(2)))

    asyncio.run(both())
    assert recipients(sink.messages[len(HANDED_OVER) :]) == ["c1@t.example", "c2@t.example", "c3@t.example"]
    assert count(campaign, tables.Notice) == 7 + 3


def test_a_dry_run_lists_who_would_be_notified_and_stores_nothing(campaign: str, sink: MailSink) -> None:
    run("2022-01-04")
    preview = run("2022-01-11", dry_run=True)
    assert sorted(mail["to"] for mail in preview["would_send"]) == ["c1@t.example", "c2@t.example", "c3@t.example"]
    assert all(n["why"] for mail in preview["would_send"] for n in mail["notices"])
    assert len(sink.messages) == len(HANDED_OVER) and count(campaign, tables.Notice) == 7  # the 交办 of 01-04 only


def test_a_dry_run_on_a_fresh_campaign_shows_due_days_of_work_it_would_assign(campaign: str) -> None:
    preview = run("2022-01-11", dry_run=True)  # no run before: the dry run itself would create the assignments
    dues = {n["due"] for mail in preview["would_send"] for n in mail["notices"]}
    assert dues == {"2022-01-10", "2022-01-14", "2022-01-20"}  # 交办 of the three items; pilot.plan's remind-3
    assert count(campaign, tables.Assignment) == 0


def test_mail_survives_an_smtp_outage(campaign: str, sink: MailSink, monkeypatch: pytest.MonkeyPatch) -> None:
    run("2022-01-04")
    monkeypatch.setenv("GREENCOMM_SMTP_PORT", str(free_port("127.0.0.1")))  # nobody listens there
    state = asyncio.run(PILOT(campaign_id=CAMPAIGN, as_of=D("2022-01-11"), return_state=True))
    assert state.is_failed()  # the run shows red in the UI
    with session_scope(campaign) as session:
        statuses = [o.status for o in session.exec(select(tables.Outbox).order_by(col(tables.Outbox.id)))]
    assert statuses == ["sent"] * len(HANDED_OVER) + ["pending"] * 3  # the 交办 of 01-04 went out before
    monkeypatch.setenv("GREENCOMM_SMTP_PORT", str(sink.port))
    assert run("2022-01-12")["sent"] == 3  # the next run delivers what was left
    assert len(sink.messages) == len(HANDED_OVER) + 3


def test_record_progress_applies_rows_or_none(campaign: str) -> None:
    good = ProgressEntry.model_validate(
        {"date": "2022-01-05", "action": "select", "assignee": "community:c1", "target": "pilot"}
    )
    bad = ProgressEntry.model_validate(
        {"date": "2022-01-05", "action": "assess", "assignee": "community:c1", "target": "99", "value": "met"}
    )
    state = record_progress(campaign_id=CAMPAIGN, entries=[good, bad], return_state=True)
    assert state.is_failed() and "row 2" in str(state.message) + repr(state.data)
    assert count(campaign, tables.ListMember) == 0
    assert record_progress(campaign_id=CAMPAIGN, entries=[good]) == 1
    assert count(campaign, tables.ListMember) == 1


def test_the_weekly_report_mails_a_chart_to_the_leading_group_office(campaign: str, sink: MailSink) -> None:
    run("2022-01-04")
    assert asyncio.run(REPORT(campaign_id=CAMPAIGN, as_of=D("2022-01-10"))) == 1
    assert asyncio.run(REPORT(campaign_id=CAMPAIGN, as_of=D("2022-01-10"))) == 0  # once per day
    (message,) = sink.messages[len(HANDED_OVER) :]
    assert recipients([message]) == ["director@t.example"]
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0].get_payload(decode=True)[:4] == b"\x89PNG"  # type: ignore[index]


def test_task_runs_per_phase_run_do_not_grow_with_communities(campaign: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect import get_client

    from models.plan.schema import Community

    plan = parse_plan(SMALL_PLAN.read_text(encoding="utf-8"))
    many = [
        Community.model_validate(
            {
                "id": f"x{n}",
                "name": f"社区{n}",
                "contact": {"name": "联系人", "email": f"x{n}@t.example"},
                "head": {"name": "书记", "email": f"x{n}.head@t.example"},
            }
        )
        for n in range(40)
    ]
    counts = []
    for day, roster in (("2022-01-11", plan.communities), ("2022-01-13", [*plan.communities, *many])):
        with session_scope(campaign) as session:
            sync_plan(session, plan.model_copy(update={"communities": roster}), actor="test", now=datetime.now(UTC))
        state = asyncio.run(PILOT(campaign_id=CAMPAIGN, as_of=D(day), return_state=True))

        async def task_runs(flow_run_id: Any) -> int:
            from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

            async with get_client() as client:
                runs = await client.read_task_runs(
                    flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
                )
            return len(runs)

        counts.append(asyncio.run(task_runs(state.state_details.flow_run_id)))
    assert counts[0] == counts[1] == 8  # one per day step (overdue-approvals since issue 16), artifacts, delivery
