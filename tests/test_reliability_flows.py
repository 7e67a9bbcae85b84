"""Dead letters and secrets through the real flows (Prefect test harness, aiosmtpd, SQLite): issue 10 items 3, 6."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from deployments.cli import app
from flows.phase import pilot_phase
from flows.report import campaign_report
from tasks import prefect_tasks
from tasks.db import get_engine
from tests.conftest import SMALL_PLAN
from tests.faults import D, FaultySink, load, outbox

CAMPAIGN = "small-test"
PILOT: Any = pilot_phase
REPORT: Any = campaign_report
C1 = "c1@t.example"
SMTP_PASSWORD, AUTH, DESK = "MARKER-smtp-pw-7f3a", "admin:MARKER-prefect-auth-91c2", "MARKER-desk-secret-44d0"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[FaultySink]:
    with FaultySink(tmp_path / "mail") as server:
        yield server


@pytest.fixture
def campaign(
    prefect_server: None, sqlite_url: str, sink: FaultySink, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> str:
    for name, value in {
        "GREENCOMM_DATABASE_URL": sqlite_url,
        "GREENCOMM_PLAN": str(SMALL_PLAN),
        "GREENCOMM_VAR_DIR": str(tmp_path / "var"),
        "GREENCOMM_SMTP_HOST": "127.0.0.1",
        "GREENCOMM_SMTP_PORT": str(sink.port),
        "GREENCOMM_MAIL_FROM": "greencomm@qingyang.example",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(prefect_tasks.deliver, "retries", 1)  # one quick retry keeps the fault tests short
    monkeypatch.setattr(prefect_tasks.deliver, "retry_delay_seconds", [0.1])
    load(sqlite_url)
    return sqlite_url


def run(day: str) -> Any:
    return asyncio.run(PILOT(campaign_id=CAMPAIGN, as_of=D(day), return_state=True))


async def artifacts_text() -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import ArtifactSort

    # newest first: the session's one test server holds every earlier test's artifacts, past one page
    async with get_client() as client:
        found = await client.read_artifacts(sort=ArtifactSort.CREATED_DESC, limit=100)
    return "\n".join(f"{a.key} {a.description} {a.data}" for a in found)


def test_a_dead_letter_fails_its_run_once_and_shows_everywhere(campaign: str, sink: FaultySink) -> None:
    run("2022-01-04")
    sink.refusals[C1] = ["550 5.1.1 no such user"] * 10
    first = run("2022-01-11")
    assert first.is_failed() and "undeliverable" in str(first.message)
    assert sink.asked.count(C1) == 1  # given up at once, not retried by the task's retries
    assert run("2022-01-12").is_completed()  # reported once: later runs are green
    assert "c1@t.example" in asyncio.run(artifacts_text()) and "550" in asyncio.run(artifacts_text())
    code = CliRunner().invoke(app, ["status", "--json", "--as-of", "2022-01-12"])
    (dead,) = json.loads(code.stdout)["undeliverable"]
    assert dead["to"] == C1
    assert asyncio.run(REPORT(campaign_id=CAMPAIGN, as_of=D("2022-01-12"))) == 1
    weekly = sink.messages[-1].get_body(("plain",))
    assert weekly is not None and "五、未能送达的通知邮件（1封）" in weekly.get_content()
    assert "2022年1月11日发往 c1@t.example" in weekly.get_content()
    sink.refusals[C1] = []
    resent = CliRunner().invoke(app, ["resend", dead["message_id"].strip("<>")])
    assert resent.exit_code == 0, resent.stderr
    assert run("2022-01-13").is_completed()
    assert sink.ids().count(dead["message_id"]) == 1
    assert CliRunner().invoke(app, ["resend", "--all"]).exit_code == 0  # nothing left: fine
    bad = CliRunner().invoke(app, ["resend", "nope@x"])
    assert bad.exit_code == 2 and "nope@x" in bad.stderr and "Traceback" not in bad.stderr


def variants(secret: str) -> list[str]:
    return [
        secret,
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(f"\0greencomm\0{secret}".encode()).decode(),
    ]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_secrets_never_reach_any_output(
    campaign: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sink = FaultySink(tmp_path / "locked", login=("greencomm", "another password"))  # the login fails at first
    sink.start()
    monkeypatch.setenv("GREENCOMM_SMTP_PORT", str(sink.port))
    for name, value in {
        "GREENCOMM_SMTP_USERNAME": "greencomm",
        "GREENCOMM_SMTP_PASSWORD": SMTP_PASSWORD,
        "PREFECT_API_AUTH_STRING": AUTH,
        "PREFECT_SERVER_API_AUTH_STRING": AUTH,
        "GREENCOMM_PREFECT_AUTH": AUTH,
        "GREENCOMM_SECRET_KEY": DESK,
    }.items():
        monkeypatch.setenv(name, value)
    outputs: list[str] = []
    cli = CliRunner()

    def invoke(*args: str) -> int:
        result = cli.invoke(app, list(args))
        outputs.extend([result.stdout, result.stderr, repr(result.exception or "")])
        return result.exit_code

    with caplog.at_level(logging.DEBUG):
        failed = run("2022-01-11")
        sink.login = ("greencomm", SMTP_PASSWORD)
        delivered = run("2022-01-12")
        assert (
            invoke(
                "simulate",
                str(SMALL_PLAN),
                "--from",
                "2022-01-10",
                "--to",
                "2022-01-11",
                "--smtp",
                f"127.0.0.1:{sink.port}",
                "--report",
                str(tmp_path / "report.json"),
            )
            == 0
        )
        assert invoke("status", "--as-of", "2022-01-12") == 0 and invoke("status", "--json") == 0
        bad = tmp_path / "bad.csv"
        bad.write_text("date,action,assignee,target,value\n2022-01-05,assess,community:c9,1,met\n", encoding="utf-8")
        assert invoke("record", str(bad)) == 2
    sink.stop()
    assert failed.is_failed() and delivered.is_completed() and sink.messages
    outputs += [str(failed.message), str(delivered.message), caplog.text, asyncio.run(artifacts_text())]
    outputs += [asyncio.run(flow_logs())]
    outputs += [
        p.read_bytes().decode("utf-8", "replace")
        for p in tmp_path.rglob("*")
        if p.is_file() and p.suffix in {".eml", ".json", ".log", ".csv"} and p != bad
    ]
    outputs += [database_dump(campaign)]
    assert any("535" in text or "uthentication" in text for text in outputs)  # the failure itself is shown
    everything = "\n".join(outputs)
    for secret in (SMTP_PASSWORD, AUTH, DESK):
        for form in variants(secret):
            assert form not in everything, f"{secret} found"


async def flow_logs() -> str:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        logs = await client.read_logs()
    return "\n".join(entry.message for entry in logs)


def database_dump(url: str) -> str:
    engine = get_engine(url)
    lines = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            lines += [repr(row) for row in connection.execute(text(f"SELECT * FROM {table}"))]
    return "\n".join(lines) + "\n".join(row.body.decode("utf-8", "replace") for row in outbox(url))
