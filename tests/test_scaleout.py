"""Scale-out (README "Scale-out"): Prefect's server on PostgreSQL, the app database on PostgreSQL, the deployments
on a process work pool (`greencomm deploy --pool`), two `prefect worker` processes, runs triggered through the API.

One server start for the whole test; every child runs in a process group of its own, killed in a finally.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from models import tables
from models.plan.checks import parse_plan
from tasks.day_run import run_day
from tasks.db import session_scope, upgrade
from tasks.mail.mailsink import MailSink
from tasks.store import load_campaign, sync_plan
from tests.conftest import POSTGRES_URL, SMALL_PLAN
from tests.ports import free_port
from tests.upkit import PREFECT_AUTH, prefect_api

pytestmark = pytest.mark.postgres

BIN = Path(sys.executable).parent
CAMPAIGN = "small-test"
MAIL_FROM = "greencomm@qingyang.example"
# Two phases at once, and one of them twice on the same day: the second pilot run must send nothing new.
RUNS = [("pilot", "2022-01-11"), ("pilot", "2022-01-11"), ("promotion", "2022-03-14")]
START_SECONDS, RUN_SECONDS = 240, 600


@pytest.fixture
def prefect_database() -> Iterator[str]:
    """A database of its own for Prefect's server (it migrates it on start), dropped afterwards."""
    name = f"gc_prefect_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    yield "postgresql+asyncpg://postgres@127.0.0.1:5432/" + name
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@contextmanager
def process_group(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child in a process group of its own (Ctrl-C on the test's terminal does not reach it); always killed."""
    with log.open("wb") as out:
        child = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield child
        finally:
            _stop_group(child)


def _stop_group(child: subprocess.Popen[bytes]) -> None:
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_healthy(api: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the Prefect server exited:\n{log.read_text()[-3000:]}"
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the Prefect server did not start in {START_SECONDS} s:\n{log.read_text()[-3000:]}")


def trigger(api: str, phase: str, day: str) -> str:
    """A flow run of the phase's deployment, created through the REST API as the UI's *Run* does."""
    deployment = prefect_api(api).get(f"deployments/name/{phase}-phase/{CAMPAIGN}").raise_for_status().json()
    run = (
        prefect_api(api)
        .post(f"deployments/{deployment['id']}/create_flow_run", json={"parameters": {"as_of": day}})
        .raise_for_status()
    )
    return str(run.json()["id"])


def wait_final(api: str, ids: list[str], logs: list[Path]) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + RUN_SECONDS
    while time.monotonic() < deadline:
        runs = {i: prefect_api(api).get(f"flow_runs/{i}").raise_for_status().json() for i in ids}
        if all(
            r["state"] and r["state"]["type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"} for r in runs.values()
        ):
            return runs
        time.sleep(1)
    tails = "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in logs)
    raise AssertionError(f"flow runs did not finish in {RUN_SECONDS} s:\n{tails}")


def notices_of(session: Session) -> Counter[tuple[Any, ...]]:
    """What was decided, without database ids (assignment ids differ between two databases)."""
    rows = session.exec(select(tables.Notice))
    return Counter((n.phase_id, n.day, n.item_id, n.assignee, n.stage, n.cycle, tuple(n.recipients)) for n in rows)


def mails_of(session: Session) -> Counter[tuple[str, str, date, str]]:
    return Counter((o.phase_id, o.recipient, o.day, o.subject) for o in session.exec(select(tables.Outbox)))


def reference(tmp_path: Path) -> tuple[Counter[tuple[Any, ...]], Counter[tuple[str, str, date, str]]]:
    """The same days run one after the other by the plain steps, on SQLite: what the workers must produce."""
    url = f"sqlite:///{tmp_path / 'reference.db'}"
    upgrade(url)
    with session_scope(url) as session:
        sync_plan(session, parse_plan(SMALL_PLAN.read_text(encoding="utf-8")), actor="test", now=datetime.now(UTC))
        plan = load_campaign(session, CAMPAIGN)
        for phase, day in RUNS:
            run_day(session, plan, phase, date.fromisoformat(day), mail_from=MAIL_FROM)
        return notices_of(session), mails_of(session)


def test_two_workers_run_phases_at_once_from_a_work_pool_on_postgresql(
    tmp_path: Path, postgres_url: str, prefect_database: str
) -> None:
    port = free_port("127.0.0.1")
    api = f"http://127.0.0.1:{port}/api"
    pool = f"greencomm-{uuid.uuid4().hex[:6]}"
    with ExitStack() as stack:
        sink = stack.enter_context(MailSink(tmp_path / "mail"))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GREENCOMM_"))} | {
            "PREFECT_HOME": str(tmp_path / "prefect"),
            "PREFECT_API_URL": api,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_API_DATABASE_CONNECTION_URL": prefect_database,
            "PREFECT_WORKER_QUERY_SECONDS": "1",  # pick runs up within a second, not the default ten
            # the server locked as README says: the auth string for the server, the workers and greencomm
            "PREFECT_SERVER_API_AUTH_STRING": PREFECT_AUTH,
            "PREFECT_SERVER_CSRF_PROTECTION_ENABLED": "true",
            "PREFECT_API_AUTH_STRING": PREFECT_AUTH,
            "GREENCOMM_PREFECT_AUTH": PREFECT_AUTH,
            "GREENCOMM_DATABASE_URL": postgres_url,
            "GREENCOMM_VAR_DIR": str(tmp_path / "var"),
            "GREENCOMM_PREFECT_PORT": str(port),
            "GREENCOMM_SMTP_HOST": "127.0.0.1",
            "GREENCOMM_SMTP_PORT": str(sink.port),
            "GREENCOMM_MAIL_FROM": MAIL_FROM,
        }
        server_log = tmp_path / "server.log"
        server = stack.enter_context(
            process_group(
                [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)], env, server_log
            )
        )
        wait_healthy(api, server, server_log)

        # the workers start (seconds of imports) while `deploy` registers the deployments on the pool it created
        deploy = [str(BIN / "greencomm"), "deploy", str(SMALL_PLAN), "--pool", pool]
        deploying = subprocess.Popen(
            deploy, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
        stack.callback(_stop_group, deploying)
        assert deploying.stdout is not None
        first = deploying.stdout.readline().decode()
        assert first == f"work pool {pool}: created\n", deploying.communicate(timeout=60)[1].decode()
        logs = [tmp_path / f"worker{n}.log" for n in (1, 2)]
        for n, log in enumerate(logs, 1):
            command = [str(BIN / "prefect"), "worker", "start", "--pool", pool, "--type", "process", "--name", f"w{n}"]
            stack.enter_context(process_group(command, env, log))
        rest, errors = deploying.communicate(timeout=300)
        assert deploying.returncode == 0, errors.decode()
        assert f"deployed pilot-phase/{CAMPAIGN} to {pool}" in rest.decode()

        ids = [trigger(api, phase, day) for phase, day in RUNS]
        runs = wait_final(api, ids, [server_log, *logs])
        states = [(r["name"], r["state"]["type"]) for r in runs.values()]
        tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs)
        assert all(state == "COMPLETED" for _, state in states), f"{states}\n{tails}"
        assert {r["work_pool_name"] for r in runs.values()} == {pool}
        received = sink.messages

    expected_notices, expected_mails = reference(tmp_path)
    with session_scope(postgres_url) as session:
        assert notices_of(session) == expected_notices and sum(expected_notices.values()) > 0
        assert mails_of(session) == expected_mails
        assert {o.status for o in session.exec(select(tables.Outbox))} == {"sent"}
    message_ids = [str(m["Message-ID"]) for m in received]
    assert len(message_ids) == len(set(message_ids)) == sum(expected_mails.values())  # no e-mail twice
    assert Counter(str(m["Subject"]) for m in received) == Counter(subject for *_, subject in expected_mails)
