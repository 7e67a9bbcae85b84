"""What the mailbox tests put in the mailbox: messages as units send them, and a plan whose items ask for materials."""

from __future__ import annotations

import base64
import email
import email.policy
import io
import urllib.parse
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlmodel import select

from models import tables
from models.intake import IntakeMessage
from models.plan import Plan
from models.settings import Settings
from tasks.db import session_scope, upgrade
from tasks.engine import assign
from tasks.intake import MailboxConfig, Pass, read_mailbox
from tasks.store import sync_plan
from tests.conftest import plan_data
from tests.dovecot import Dovecot

DAY = date(2022, 1, 10)
NOW = datetime(2022, 1, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MATERIALS = [
    {"label": "盖章扫描PDF版", "kinds": ["pdf"]},
    {"label": "电子版", "kinds": ["word"]},
]


def text_of(stored: bytes) -> str:
    """A stored e-mail's plain text."""
    parsed = email.message_from_bytes(stored, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    part = parsed.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def intake_plan_data() -> dict[str, Any]:
    """The small plan, its two community items of the pilot phase asking for a PDF and an electronic copy."""
    data = plan_data()
    for item in data["phases"][0]["items"]:
        if item["id"] in ("pilot.plan", "pilot.apply"):
            item["materials"] = MATERIALS
    data["campaign"]["mailbox"] = "intake@t.example"
    data["campaign"]["id"] = "intake-test"  # its approval runs' idempotency keys are its own on a shared Prefect server
    return data


def message(
    sender: str = "c1@t.example",
    subject: str = "报送制定方案材料",
    body: str = "附件为我社区方案，请审核。",
    files: list[tuple[str, bytes]] | None = None,
    **headers: str,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "intake@t.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2022, 1, 10, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = make_msgid(domain="t.example")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    for name, data in [("方案.pdf", PDF), ("方案.docx", docx())] if files is None else files:
        maintype, subtype = ("application", "pdf") if data.startswith(b"%PDF") else ("application", "octet-stream")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def raw(subject: bytes, parts: list[tuple[bytes, bytes]], sender: bytes = b"c1@t.example") -> bytes:
    """A multipart message written byte by byte: `parts` are (headers, base64 body)."""
    head = (
        b"From: " + sender + b"\r\nTo: intake@t.example\r\nSubject: " + subject + b"\r\n"
        b"Date: Mon, 10 Jan 2022 17:30:00 +0800\r\nMessage-ID: <" + base64.b32encode(subject + sender)[:40] + b"@t>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XX"\r\n\r\n'
    )
    body = b"--XX\r\nContent-Type: text/plain; charset=gbk\r\n\r\n" + "请查收。".encode("gbk") + b"\r\n"
    for headers, data in parts:
        body += b"--XX\r\n" + headers + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + data + b"\r\n"
    return head + body + b"--XX--\r\n"


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def pdf_part(disposition: bytes) -> tuple[bytes, bytes]:
    return b"Content-Type: application/pdf\r\nContent-Disposition: attachment; " + disposition, b64(PDF)


def docx_part(disposition: bytes) -> tuple[bytes, bytes]:
    return b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; " + disposition, b64(docx())


def gbk_2047(text: str) -> bytes:
    return b"=?GB2312?B?" + base64.b64encode(text.encode("gb2312")) + b"?="


def gbk_2231(text: str) -> bytes:
    return b"filename*=gbk''" + urllib.parse.quote(text.encode("gbk")).encode()


def quoted(name: bytes) -> bytes:
    return b'filename="' + name + b'"'


def three_encodings() -> list[bytes]:
    """Submissions from c1, c2 and c3 whose subjects and file names are RFC 2047, raw GB18030 and RFC 2231."""
    return [
        raw(
            gbk_2047("关于申报材料的报送"),
            [pdf_part(b'filename="' + gbk_2047("申报表.pdf") + b'"'), docx_part(gbk_2231("申报表.docx"))],
        ),
        raw(
            "制定方案报送".encode("gb18030"),  # raw 8-bit, as older Foxmail and Outlook send it
            [
                pdf_part(b'filename="' + "方案（盖章）.pdf".encode("gb18030") + b'"'),
                docx_part(b'filename="' + "方案.docx".encode() + b'"'),
            ],
            sender=b"c2@t.example",
        ),
        raw(
            b"=?utf-8?B?" + base64.b64encode("制定方案".encode()) + b"?=",
            [pdf_part(gbk_2231("方案（盖章）.pdf")), docx_part(quoted("電子版.docx".encode()))],
            sender=b"c3@t.example",
        ),
    ]


def forwarded(sender: str = "c1@t.example") -> EmailMessage:
    """A submission forwarded as an attached .eml (the colleague who wrote it is not in the plan)."""
    inner = message(sender="secretary@c1-office.example", subject="制定方案（定稿）")
    outer = message(sender=sender, subject="转发：方案定稿", body="转发同事的邮件，请查收。", files=[])
    outer.add_attachment(inner.as_bytes(), maintype="application", subtype="octet-stream", filename="方案定稿.eml")
    return outer


@dataclass
class Mailbox:
    """The test's mailbox on Dovecot and the database greencomm registers it in."""

    server: Dovecot
    settings: Settings
    plan: Plan

    @property
    def config(self) -> MailboxConfig:
        config = MailboxConfig.from_settings(self.settings)
        assert config is not None
        return config

    def put(self, *messages: EmailMessage | bytes, folder: str = "INBOX") -> None:
        for msg in messages:
            self.server.append(msg if isinstance(msg, bytes) else msg.as_bytes(), folder)

    def read(self, now: datetime = NOW) -> Pass:
        return read_mailbox(self.settings, self.plan, self.config, now=now, context=self.server.context())

    def rows(self) -> list[IntakeMessage]:
        with session_scope(self.settings.database_url) as session:
            return list(session.exec(select(IntakeMessage).order_by(IntakeMessage.id)))  # type: ignore[arg-type]

    def claims(self) -> list[tables.Claim]:
        with session_scope(self.settings.database_url) as session:
            return list(session.exec(select(tables.Claim).order_by(tables.Claim.id)))  # type: ignore[arg-type]

    def outbox(self) -> list[tables.Outbox]:
        with session_scope(self.settings.database_url) as session:
            return list(session.exec(select(tables.Outbox).where(tables.Outbox.phase_id == "intake")))

    def item_of(self, claim: tables.Claim) -> tuple[str, str]:
        with session_scope(self.settings.database_url) as session:
            a = session.get(tables.Assignment, claim.assignment_id)
            assert a is not None
            return a.item_id, a.assignee


def mailbox_for(
    server: Dovecot, database_url: str, var_dir: Path, plan: Plan, *, assigned: bool = True, **settings: Any
) -> Iterator[Mailbox]:
    """An empty INBOX, the plan loaded and (unless not `assigned`) its pilot items assigned on DAY."""
    server.reset()
    values: dict[str, Any] = {
        "database_url": database_url,
        "var_dir": var_dir,
        "intake_imap_host": server.host,
        "intake_imap_port": server.port,
        "intake_imap_username": server.user,
        "intake_imap_password": SecretStr(server.password),
    }
    config = Settings(**values | settings)
    upgrade(config.database_url)
    with session_scope(config.database_url) as session:
        sync_plan(session, plan, actor="test", now=NOW)
        if assigned:
            assign(session, plan, "pilot", DAY)
    yield Mailbox(server, config, plan)
