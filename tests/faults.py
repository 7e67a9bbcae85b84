"""Faults on demand for the reliability tests: a real aiosmtpd server that refuses, stalls or blocks."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import col, select

from models import tables
from models.plan.checks import parse_plan
from models.plan.schema import Plan
from tasks.db import session_scope, upgrade
from tasks.mail.mailsink import MailSink
from tasks.mail.smtp import SmtpConfig
from tasks.store import sync_plan
from tests.conftest import SMALL_PLAN

D = date.fromisoformat


class FaultySink(MailSink):
    """A sink that refuses chosen recipients with chosen replies, can be slow on DATA or hold it until
    released, can leave SMTPUTF8 out, and can demand a login."""

    def __init__(
        self, directory: Path, *, smtputf8: bool = True, login: tuple[str, str] | None = None, **_: Any
    ) -> None:
        super().__init__(directory)
        self.refusals: dict[str, list[str]] = {}
        self.asked: list[str] = []  # every RCPT address, in order
        self.data_delay = 0.0
        self.hold = False  # DATA waits (without answering) while this is True
        self.in_data = threading.Event()  # set once a DATA has arrived
        self.smtputf8 = smtputf8
        self.login = login
        self.logins: list[str] = []

    def start(self) -> None:
        from tests.ports import free_port

        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port(self.host)
        options: dict[str, Any] = {"enable_SMTPUTF8": self.smtputf8}
        if self.login:
            options |= {"authenticator": self._authenticate, "auth_require_tls": False, "auth_required": True}
        self._controller = Controller(self, hostname=self.host, port=self.port, **options)
        self._controller.start()

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == self.login
        self.logins.append(data.login.decode() if isinstance(data, LoginPassword) else "")
        return AuthResult(success=ok, handled=False)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        self.asked.append(address)
        replies = self.refusals.get(address)
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.in_data.set()
        while self.hold:
            await asyncio.sleep(0.05)
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return await super().handle_DATA(server, session, envelope)

    def ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]


def config_for(sink: MailSink, **changes: Any) -> SmtpConfig:
    from dataclasses import replace

    return replace(SmtpConfig(sink.host, sink.port, "none", None, None, timeout=5.0), **changes)


def load(url: str, data: dict[str, Any] | None = None) -> Plan:
    """The small plan (or `data`) loaded into a fresh database at `url`; no 交办, so the counts are the reminders'."""
    import yaml

    data = data or yaml.safe_load(SMALL_PLAN.read_text(encoding="utf-8"))
    data["escalation"]["assign"] = {"notify": []}
    plan = parse_plan(yaml.safe_dump(data, allow_unicode=True))
    upgrade(url)
    with session_scope(url) as session:
        sync_plan(session, plan, actor="test", now=datetime.now(UTC))
    return plan


def outbox(url: str) -> list[tables.Outbox]:
    with session_scope(url) as session:
        return list(session.exec(select(tables.Outbox).order_by(col(tables.Outbox.id))))


def notices(url: str) -> list[tables.Notice]:
    with session_scope(url) as session:
        return list(session.exec(select(tables.Notice)))


def each_notice_once(url: str) -> None:
    """Every notice is in exactly one e-mail per recipient, and every e-mail's Message-ID is its own."""
    found = notices(url)
    mails = outbox(url)
    assert found and all(n.outbox_done for n in found)
    listed = sorted((i, row.recipient) for row in mails for i in row.notice_ids)
    assert listed == sorted((n.id, address) for n in found if n.id is not None for address in n.recipients)
    assert len({row.message_id for row in mails}) == len(mails)


def wait_for(condition: Any, what: str, limit: float = 60.0) -> None:
    """Wait for something another process or thread does (a bound, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)
