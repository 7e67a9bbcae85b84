"""Crash safety (issue 10 item 5): a phase run killed with SIGKILL, then a rerun, on SQLite and PostgreSQL.

The child process runs the plain step functions a phase run is made of and stops where the test wants it
(reading stdin, which never ends): the pause lives in this test's child script, not in the product."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.faults import FaultySink, config_for, each_notice_once, load, outbox, wait_for
from tests.test_delivery import deliver, run

DAY = "2022-01-17"  # overdue work and reminders: e-mails to several people
CHILD = """
import asyncio, sys
from datetime import UTC, date, datetime
from tasks import day_run
from tasks.db import session_scope
from tasks.engine import assign, check_completion, escalate
from tasks.mail import SmtpConfig, compose
from tasks.store import load_campaign

url, day, port, stop = sys.argv[1], date.fromisoformat(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def pause(where):
    print(where, flush=True)
    sys.stdin.read()  # the test kills this process here

with session_scope(url) as session:
    plan = load_campaign(session, "small-test")
    assign(session, plan, "pilot", day)
    check_completion(session, plan, "pilot", day)
    escalate(session, plan, "pilot", day, dry_run=False)
if stop == "after-escalate":
    pause(stop)
with session_scope(url) as session:
    compose(session, plan, "pilot", day, mail_from="greencomm@qingyang.example")
    if stop == "in-compose":
        session.flush()
        pause(stop)
config = SmtpConfig("127.0.0.1", port, "none", None, None, 30.0)
with session_scope(url) as session:
    asyncio.run(day_run.deliver(session, plan, "pilot", config, now=datetime.now(UTC), concurrency=1,
                                budget=60.0, give_up_after=5))
print("done", flush=True)
"""


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[FaultySink]:
    with FaultySink(tmp_path / "mail") as server:
        yield server


def start_child(url: str, port: int, stop: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, url, DAY, str(port), stop],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # Ctrl-C on the test run does not reach it; we end it ourselves
    )


def kill(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL


def rerun_delivers_everything_once(url: str, sink: FaultySink, in_flight: set[str]) -> None:
    plan = load(url)
    run(url, plan, DAY)  # the rerun of the killed day
    deliver(url, plan, config_for(sink), later=120)  # the next run, once the dead run's claim has expired
    each_notice_once(url)
    rows = outbox(url)
    assert rows and {row.status for row in rows} == {"sent"}
    counts = Counter(sink.ids())
    assert set(counts) == {row.message_id for row in rows}
    assert {m for m, n in counts.items() if n > 1} <= in_flight and max(counts.values()) <= 2


@pytest.mark.parametrize("stop", ["after-escalate", "in-compose"])
def test_killed_during_escalation_then_a_rerun_sends_every_notice_once(
    database_url: str, sink: FaultySink, stop: str
) -> None:
    load(database_url)
    child = start_child(database_url, sink.port, stop)
    assert child.stdout is not None and child.stdout.readline().strip() == stop
    kill(child)
    assert outbox(database_url) == []  # nothing composed, or the composing transaction rolled back
    rerun_delivers_everything_once(database_url, sink, set())


def test_killed_during_delivery_then_a_rerun_delivers_the_rest(database_url: str, sink: FaultySink) -> None:
    load(database_url)
    sink.hold = True  # the first DATA is never answered while the child lives
    child = start_child(database_url, sink.port, "deliver")
    wait_for(sink.in_data.is_set, "the child to send DATA")
    kill(child)
    assert sink.messages == []
    sending = [row.message_id for row in outbox(database_url) if row.status == "sending"]
    assert sending  # claimed by the dead run: the rerun must take them over
    sink.hold = False  # the held DATA may now complete on the server side: the e-mail in flight
    rerun_delivers_everything_once(database_url, sink, set(sending))
