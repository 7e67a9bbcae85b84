"""`greencomm intake`, `intake assign`, `intake ignore` and `status` as a user runs them, against Dovecot: two runs
register each message once; 待分拣 is listed and settled, audited; bad arguments exit 2 in one line; the password
never shows."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
import yaml
from sqlmodel import select
from typer.testing import CliRunner

from deployments.cli import app
from models import tables
from models.intake import IntakeMessage
from models.plan import Plan, parse_plan
from models.settings import Settings
from models.vocabulary import IntakeStatus
from tasks.db import session_scope
from tasks.reports.weekly import report_message
from tests.conftest import GREENCOMM
from tests.dovecot import Dovecot
from tests.intake_mail import NOW, forwarded, intake_plan_data, mailbox_for, message, three_encodings
from tests.ports import free_port


@dataclass
class Cli:
    env: dict[str, str]
    settings: Settings
    server: Dovecot
    plan: Plan
    out: str = ""  # the last invoke's standard output

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(GREENCOMM), *args], env=self.env | extra, capture_output=True, text=True, timeout=120, check=False
        )

    def invoke(self, *args: str, **extra: str) -> tuple[int, str]:
        """In this process (quicker): exit status and stderr; the environment restored whole afterwards (a
        command that files a claim points Prefect at `up`'s server)."""
        with mock.patch.dict(os.environ):
            result = CliRunner().invoke(app, list(args), env=self.env | extra)
        self.out = result.stdout
        return result.exit_code, result.stderr

    def rows(self) -> list[IntakeMessage]:
        with session_scope(self.settings.database_url) as session:
            return list(session.exec(select(IntakeMessage).order_by(IntakeMessage.id)))  # type: ignore[arg-type]

    def claims(self) -> list[tuple[str, str]]:
        with session_scope(self.settings.database_url) as session:
            claims = session.exec(select(tables.Claim).order_by(tables.Claim.id))  # type: ignore[arg-type]
            found = [session.get(tables.Assignment, c.assignment_id) for c in claims]
            return [(a.item_id, a.assignee) for a in found if a is not None]

    def audit(self) -> list[str]:
        with session_scope(self.settings.database_url) as session:
            return [a.action for a in session.exec(select(tables.Audit)) if a.action.startswith("intake.")]


@pytest.fixture
def cli(dovecot: Dovecot, sqlite_url: str, tmp_path: Path) -> Iterator[Cli]:
    data = intake_plan_data()
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    plan = parse_plan(plan_file.read_text(encoding="utf-8"))
    for mailbox in mailbox_for(dovecot, sqlite_url, tmp_path / "var", plan):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENCOMM_", "PREFECT_"))} | {
            "GREENCOMM_DATABASE_URL": sqlite_url,
            "GREENCOMM_PLAN": str(plan_file),
            "GREENCOMM_VAR_DIR": str(tmp_path / "var"),
            "GREENCOMM_PREFECT_PORT": str(free_port()),  # nothing listens: approval runs wait for `up`
            "GREENCOMM_INTAKE_IMAP_HOST": dovecot.host,
            "GREENCOMM_INTAKE_IMAP_PORT": str(dovecot.port),
            "GREENCOMM_INTAKE_IMAP_USERNAME": dovecot.user,
            "GREENCOMM_INTAKE_IMAP_PASSWORD": dovecot.password,
            "SSL_CERT_FILE": str(dovecot.cert),
            "PREFECT_CLIENT_MAX_RETRIES": "0",
        }
        yield Cli(env, mailbox.settings, dovecot, plan)


def test_two_runs_register_each_message_once(cli: Cli) -> None:
    """Chinese file names in three encodings, an unknown sender, a message with no attachment, a forwarded
    submission, the same message twice: the claims and 待分拣 rows expected, and nothing twice."""
    rfc2047, raw_gb18030, rfc2231 = three_encodings()
    for mail in (rfc2047, raw_gb18030, rfc2231, rfc2047):  # the first one twice
        cli.server.append(mail)
    cli.server.append(message(sender="stranger@elsewhere.example").as_bytes())
    cli.server.append(message(sender="c1.head@t.example", files=[]).as_bytes())
    cli.server.append(forwarded(sender="c3.head@t.example").as_bytes())  # c3's claim waits: these files too
    first = cli.run("intake")
    assert first.returncode == 0, first.stderr
    assert "3 claim(s) filed, 0 highlight(s), 3 waiting for triage, 1 already registered" in first.stdout
    second = cli.run("intake")
    assert "0 claim(s) filed, 0 highlight(s), 0 waiting for triage, 0 already registered" in second.stdout
    assert cli.claims() == [
        ("pilot.apply", "community:c1"),
        ("pilot.plan", "community:c2"),
        ("pilot.plan", "community:c3"),
    ]
    assert [(r.sender, r.status, r.reason) for r in cli.rows()] == [
        ("c1@t.example", IntakeStatus.FILED, None),
        ("c2@t.example", IntakeStatus.FILED, None),
        ("c3@t.example", IntakeStatus.FILED, None),
        ("stranger@elsewhere.example", IntakeStatus.TRIAGE, "unknown-sender"),
        ("c1.head@t.example", IntakeStatus.TRIAGE, "no-attachment"),
        ("c3.head@t.example", IntakeStatus.TRIAGE, "pending"),  # its files would be lost behind the claim
    ]
    assert cli.server.password not in first.stdout + first.stderr + second.stdout + second.stderr


def test_waiting_messages_are_listed_assigned_and_ignored_audited(cli: Cli) -> None:
    cli.server.append(message(sender="stranger@elsewhere.example", subject="社区二的方案").as_bytes())
    cli.server.append(message(sender="c3@t.example", files=[]).as_bytes())
    cli.invoke("intake")
    stranger, empty = cli.rows()
    cli.invoke("status", "--json", "--as-of", NOW.date().isoformat())
    shown = json.loads(cli.out)["triage"]
    assert [(t["uid"], t["sender"], t["reason"].split("：")[0]) for t in shown] == [
        (stranger.uid, "stranger@elsewhere.example", "发件人不是任何责任单位的联系人或负责人"),
        (empty.uid, "c3@t.example", "邮件没有附件"),
    ]
    assert shown[0]["attachments"] == "方案.pdf、方案.docx" and shown[0]["date"] == "2022年1月10日"
    cli.invoke("status", "--as-of", NOW.date().isoformat())
    assert "邮箱待分拣" in cli.out
    with session_scope(cli.settings.database_url) as session:
        weekly = report_message(session, cli.plan, NOW.date(), mail_from="greencomm@t.example")
    body = weekly.get_body(("plain",))
    assert body is not None and "报送邮箱中待分拣的邮件（2封" in str(body.get_content())
    assert f"第{stranger.uid}号：stranger@elsewhere.example于2022年1月10日发来的“社区二的方案”" in str(
        body.get_content()
    )

    code, err = cli.invoke("intake", "assign", str(stranger.uid), "pilot.plan", "--for", "community:c2")
    assert code == 0, err
    assert "approval run not started" in err  # no Prefect server here: `up` starts it
    assert cli.claims() == [("pilot.plan", "community:c2")]
    assert cli.invoke("intake", "ignore", str(empty.uid))[0] == 0
    assert [(r.status, r.settled_by is not None) for r in cli.rows()] == [
        (IntakeStatus.ASSIGNED, True),
        (IntakeStatus.IGNORED, True),
    ]
    assert cli.audit() == ["intake.triage", "intake.triage", "intake.assigned", "intake.ignored"]
    cli.invoke("status", "--json")
    assert json.loads(cli.out)["triage"] == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("intake", "ignore", "999"), "UID: no message 999 waits for triage"),
        (("intake", "assign", "UID", "pilot.nope", "--for", "community:c1"), "ITEM: 'pilot.nope' is not an item"),
        (("intake", "assign", "UID", "pilot.plan", "--for", "c1"), "--for: 'c1' is not an assignee"),
        (("intake", "assign", "UID", "pilot.plan", "--for", "community:zz"), "--for: community:zz has no open"),
    ],
)
def test_bad_arguments_exit_2_in_one_line(cli: Cli, args: tuple[str, ...], says: str) -> None:
    cli.server.append(message(sender="stranger@elsewhere.example").as_bytes())
    assert cli.invoke("intake")[0] == 0
    uid = str(cli.rows()[0].uid)
    code, err = cli.invoke(*(uid if arg == "UID" else arg for arg in args))
    assert code == 2
    assert err.strip().count("\n") == 0 and says in err and "Traceback" not in err
    assert cli.claims() == []


def test_a_wrong_password_fails_in_one_line_without_showing_it(cli: Cli) -> None:
    code, err = cli.invoke("intake", GREENCOMM_INTAKE_IMAP_PASSWORD="not-the-app-code")
    assert code == 1
    assert err.strip().count("\n") == 0 and "not-the-app-code" not in err and "AUTHENTICATIONFAILED" in err


def test_plain_imap_is_refused_beyond_this_machine(cli: Cli) -> None:
    code, err = cli.invoke("intake", GREENCOMM_INTAKE_IMAP_HOST="imap.qq.com", GREENCOMM_INTAKE_IMAP_SECURITY="plain")
    assert code == 2 and "plain is for a server on this machine only" in err


def test_without_a_mailbox_intake_says_so(cli: Cli) -> None:
    code, err = cli.invoke("intake", GREENCOMM_INTAKE_IMAP_HOST="")
    assert code == 2 and "GREENCOMM_INTAKE_IMAP_HOST is not set" in err
