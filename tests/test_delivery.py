"""Delivery under faults (issue 10): overlapping runs, a non-ASCII mailbox, 5xx dead letters, 4xx give-up,
a slow server against the budget, a DATA timeout; real aiosmtpd servers, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.plan.schema import Plan
from models.vocabulary import OutboxStatus
from tasks import day_run
from tasks.db import session_scope
from tasks.engine.completion import check_completion
from tasks.engine.escalate import escalate
from tasks.engine.work import assign
from tasks.mail.delivery import Delivery, resend
from tasks.mail.outbox import compose
from tasks.mail.smtp import SmtpConfig
from tasks.reports.status import status
from tests.conftest import plan_data
from tests.faults import D, FaultySink, config_for, each_notice_once, load, outbox

MAIL_FROM = "greencomm@qingyang.example"
C1 = "c1@t.example"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[FaultySink]:
    with FaultySink(tmp_path / "mail") as server:
        yield server


def run(url: str, plan: Plan, day: str, phase: str = "pilot") -> None:
    with session_scope(url) as session:
        day_run.run_day(session, plan, phase, D(day), mail_from=MAIL_FROM)


def deliver(url: str, plan: Plan, config: SmtpConfig, *, later: float = 0, **policy: Any) -> Delivery:
    options = {"concurrency": 2, "budget": 60.0, "give_up_after": 5} | policy
    now = datetime.now(UTC) + timedelta(seconds=later)
    with session_scope(url) as session:
        return asyncio.run(day_run.deliver(session, plan, "pilot", config, now=now, **options))


def statuses(url: str) -> dict[str, str]:
    return {row.recipient: row.status for row in outbox(url)}


# --- two runs of one phase at once -------------------------------------------------------------------


@pytest.mark.parametrize("days", [("2022-01-17", "2022-01-19"), ("2022-01-19", "2022-01-19")])
def test_two_runs_at_once_put_each_notice_in_one_email(database_url: str, days: tuple[str, str]) -> None:
    """The catch-up `trigger --as-of` during the scheduled run: both escalate, then compose at the same moment."""
    plan = load(database_url)
    run(database_url, plan, "2022-01-13")  # reminders already out: the runs below escalate overdue work
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def one_run(day: date) -> None:
        try:
            with session_scope(database_url) as session:
                assign(session, plan, "pilot", day)
                check_completion(session, plan, "pilot", day)
                escalate(session, plan, "pilot", day, dry_run=False)
            start.wait(timeout=30)
            with session_scope(database_url) as session:
                compose(session, plan, "pilot", day, mail_from=MAIL_FROM)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one_run, args=(D(day),)) for day in days]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []  # no "database is locked", no duplicate key
    each_notice_once(database_url)


def test_two_whole_runs_with_delivery_at_once_send_each_email_once(database_url: str, sink: FaultySink) -> None:
    plan = load(database_url)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def one_run(day: str) -> None:
        try:
            start.wait(timeout=30)
            run(database_url, plan, day)
            deliver(database_url, plan, config_for(sink))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one_run, args=(day,)) for day in ("2022-01-11", "2022-01-17")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deliver(database_url, plan, config_for(sink))  # whatever a run composed after the other had delivered
    assert errors == []
    each_notice_once(database_url)
    assert sorted(sink.ids()) == sorted(row.message_id for row in outbox(database_url))
    assert set(statuses(database_url).values()) == {"sent"}


# --- a mailbox the SMTP client cannot send to everywhere ---------------------------------------------


def with_chinese_mailbox() -> dict[str, Any]:
    data = plan_data()
    data["communities"][1]["contact"]["email"] = "王五@qy.example"
    return data


@pytest.mark.parametrize("smtputf8", [True, False])
def test_a_non_ascii_mailbox_never_blocks_the_others(sqlite_url: str, tmp_path: Path, smtputf8: bool) -> None:
    plan = load(sqlite_url, with_chinese_mailbox())
    run(sqlite_url, plan, "2022-01-11")  # three reminders, one to 王五
    assert len(outbox(sqlite_url)) == 3
    with FaultySink(tmp_path / "mail", smtputf8=smtputf8) as server:
        result = deliver(sqlite_url, plan, config_for(server))
    got = sorted(server.asked)
    if smtputf8:
        assert got == sorted([C1, "c3@t.example", "王五@qy.example"]) and result.sent == 3
        assert any('To: "联系人二" <王五@qy.example>'.encode() in p.read_bytes() for p in server.directory.iterdir())
    else:
        assert got == [C1, "c3@t.example"]
        assert statuses(sqlite_url)["王五@qy.example"] == OutboxStatus.UNDELIVERABLE
        (dead,) = result.undeliverable
        assert "SMTPUTF8" in dead and result.failed == []


# --- dead letters -------------------------------------------------------------------------------------


def test_a_permanent_refusal_becomes_a_dead_letter_shown_and_resendable(database_url: str, sink: FaultySink) -> None:
    plan = load(database_url)
    run(database_url, plan, "2022-01-11")
    sink.refusals[C1] = ["550 5.1.1 no such user"] * 5
    first = deliver(database_url, plan, config_for(sink))
    assert (first.sent, first.failed, len(first.undeliverable)) == (2, [], 1)
    assert "550" in first.undeliverable[0]
    assert deliver(database_url, plan, config_for(sink)) == Delivery(0, [], [])  # not asked again
    assert sink.asked.count(C1) == 1
    with session_scope(database_url) as session:
        (shown,) = status(session, plan, D("2022-01-11")).undeliverable
    assert shown.to == C1 and "550" in shown.error
    sink.refusals[C1] = []  # the mailbox is fixed
    with session_scope(database_url) as session:
        assert [r.message_id for r in resend(session, plan.campaign.id, [shown.message_id])] == [shown.message_id]
    assert deliver(database_url, plan, config_for(sink)).sent == 1
    assert sink.ids().count(shown.message_id) == 1 and statuses(database_url)[C1] == "sent"


def test_temporary_refusals_give_up_after_the_set_number_of_runs(sqlite_url: str, sink: FaultySink) -> None:
    plan = load(sqlite_url)
    run(sqlite_url, plan, "2022-01-11")
    sink.refusals[C1] = ["451 4.3.0 try later"] * 100
    assert len(deliver(sqlite_url, plan, config_for(sink), give_up_after=2).failed) == 1
    assert statuses(sqlite_url)[C1] == "pending"
    second = deliver(sqlite_url, plan, config_for(sink), give_up_after=2)
    assert second.failed == [] and "gave up after 2 runs" in second.undeliverable[0]


def test_a_run_delivers_in_batches_and_tries_a_failed_email_once(
    database_url: str, sink: FaultySink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches bound the memory of a large run; a 4xx e-mail waits for the next run, not the next batch."""
    monkeypatch.setattr(day_run, "DELIVERED_AT_ONCE", 2)
    plan = load(database_url)
    run(database_url, plan, "2022-01-11")  # three reminders: two batches
    sink.refusals[C1] = ["451 4.3.0 try later"] * 100
    result = deliver(database_url, plan, config_for(sink))
    # the client's own tries (smtp.send_messages, 3) for one claim; a second claim in the run would double them
    assert result.sent == 2 and len(result.failed) == 1 and sink.asked.count(C1) == 3
    assert sorted(statuses(database_url).values()) == ["pending", "sent", "sent"]


# --- a slow server ------------------------------------------------------------------------------------


def test_a_slow_server_cannot_hold_a_run_past_its_budget(sqlite_url: str, sink: FaultySink) -> None:
    plan = load(sqlite_url)
    run(sqlite_url, plan, "2022-01-11")
    sink.hold = True  # DATA never answered: only the budget ends this run
    result = deliver(sqlite_url, plan, config_for(sink, timeout=600.0), budget=1.0, concurrency=1)
    assert result.sent == 0 and len(result.failed) == 3 and result.undeliverable == []
    assert all("budget" in line for line in result.failed)
    assert set(statuses(sqlite_url).values()) == {"pending"}
    sink.hold = False
    assert deliver(sqlite_url, plan, config_for(sink)).sent == 3
    assert sorted(set(sink.ids())) == sorted(row.message_id for row in outbox(sqlite_url))


def test_a_data_timeout_is_resent_next_run_with_the_same_message_id(sqlite_url: str, sink: FaultySink) -> None:
    plan = load(sqlite_url)
    run(sqlite_url, plan, "2022-01-11")
    sink.data_delay = 1.5  # answers DATA after the client stopped waiting, and keeps the message
    result = deliver(sqlite_url, plan, config_for(sink, timeout=0.5), concurrency=3)
    assert len(result.failed) == 3 and all("may have been delivered" in line for line in result.failed)
    sink.data_delay = 0
    assert deliver(sqlite_url, plan, config_for(sink)).sent == 3
    ids = sorted(row.message_id for row in outbox(sqlite_url))
    assert sorted(set(sink.ids())) == ids  # twice at most, never under another Message-ID


# --- simulate -----------------------------------------------------------------------------------------


def simulate(tmp_path: Path, server: FaultySink, first: str = "2022-01-10", last: str = "2022-01-12") -> Any:
    from typer.testing import CliRunner

    from deployments.cli import app
    from tests.conftest import SMALL_PLAN

    address = f"{server.host}:{server.port}"
    args = ["simulate", str(SMALL_PLAN), "--from", first, "--to", last, "--smtp", address]
    return CliRunner().invoke(app, [*args, "--report", str(tmp_path / "report.json")])


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_simulate_logs_in_with_the_configured_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENCOMM_SMTP_USERNAME", "greencomm")
    monkeypatch.setenv("GREENCOMM_SMTP_PASSWORD", "pw-for-simulate")
    monkeypatch.setenv("GREENCOMM_SMTP_TIMEOUT", "5")
    with FaultySink(tmp_path / "mail", login=("greencomm", "pw-for-simulate")) as server:
        result = simulate(tmp_path, server)
    assert result.exit_code == 0, result.stderr
    assert server.messages and set(server.logins) == {"greencomm"}


def test_simulate_exits_0_when_transient_faults_were_overcome(tmp_path: Path) -> None:
    with FaultySink(tmp_path / "mail") as server:
        server.refusals[C1] = ["451 4.3.0 try later"] * 3  # the whole first run's tries: sent the day after
        result = simulate(tmp_path, server, "2022-01-11", "2022-01-12")
    assert result.exit_code == 0, result.stderr
    assert C1 in [m["To"].addresses[0].addr_spec for m in server.messages]


def test_simulate_exits_1_for_what_is_finally_undeliverable(tmp_path: Path) -> None:
    with FaultySink(tmp_path / "mail") as server:
        server.refusals[C1] = ["550 5.1.1 no such user"] * 50
        result = simulate(tmp_path, server, "2022-01-11", "2022-01-12")
    assert result.exit_code == 1
    assert "1 e-mail(s) undelivered at the end" in result.stderr and f"{C1}: undeliverable" in result.stderr
