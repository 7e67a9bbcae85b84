"""Mail as people send it, through a real IMAP server (SPEC §9): Chinese subjects and file names in RFC 2047, RFC
2231 and raw GB18030 bytes, winmail.dat, forwarded messages, inline images, a 60 MB attachment and broken MIME.
None of them stops a run."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from models import tables
from models.intake import Attachment, Letter
from models.plan import Plan, parse_plan
from models.vocabulary import IntakeStatus
from tasks.db import session_scope
from tests.dovecot import Dovecot
from tests.intake_mail import (
    PDF,
    Mailbox,
    b64,
    docx,
    forwarded,
    intake_plan_data,
    mailbox_for,
    message,
    raw,
    three_encodings,
)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return parse_plan(yaml.safe_dump(intake_plan_data(), allow_unicode=True))


@pytest.fixture
def mailbox(dovecot: Dovecot, sqlite_url: str, tmp_path: Path, plan: Plan) -> Iterator[Mailbox]:
    yield from mailbox_for(dovecot, sqlite_url, tmp_path, plan)


def test_chinese_subjects_and_file_names_in_three_encodings_are_read(mailbox: Mailbox) -> None:
    mailbox.put(*three_encodings())
    done = mailbox.read()
    assert (done.filed, done.triage) == (3, 0)
    rows = mailbox.rows()
    assert [r.subject for r in rows] == ["关于申报材料的报送", "制定方案报送", "制定方案"]
    assert [[a["name"] for a in r.attachments] for r in rows] == [
        ["申报表.pdf", "申报表.docx"],
        ["方案（盖章）.pdf", "方案.docx"],
        ["方案（盖章）.pdf", "電子版.docx"],
    ]
    assert [r.item_id for r in rows] == ["pilot.apply", "pilot.plan", "pilot.plan"]  # the subjects' title words


def test_a_winmail_dat_is_named_as_unsupported(mailbox: Mailbox) -> None:
    tnef = (
        b"Content-Type: application/ms-tnef; name=winmail.dat\r\nContent-Disposition: attachment; filename=winmail.dat"
    )
    mailbox.put(
        raw(b"=?utf-8?B?" + base64.b64encode("制定方案".encode()) + b"?=", [(tnef, b64(b"\x78\x9f\x3e\x22" * 50))])
    )
    mailbox.read()
    [row] = mailbox.rows()
    assert (row.status, row.reason) == (IntakeStatus.TRIAGE, "no-accepted-kind")
    assert "winmail.dat" in row.detail


def test_a_forwarded_submission_is_looked_inside(mailbox: Mailbox) -> None:
    as_eml = forwarded()
    as_rfc822 = message(sender="c2@t.example", subject="Fw: 方案", body="见转发邮件", files=[])
    as_rfc822.add_attachment(message(sender="someone@else.example"))  # message/rfc822
    mailbox.put(as_eml, as_rfc822)
    done = mailbox.read()
    assert (done.filed, done.triage) == (2, 0)
    assert [r.assignee for r in mailbox.rows()] == ["community:c1", "community:c2"]  # the forwarder's unit
    assert [mailbox.item_of(c)[0] for c in mailbox.claims()] == ["pilot.plan", "pilot.plan"]  # 制定方案 inside


def inline_image(msg: EmailMessage) -> EmailMessage:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    msg.add_attachment(png, maintype="image", subtype="png", filename="logo.png", disposition="inline", cid="<logo>")
    return msg


def test_inline_images_are_not_materials_unless_they_are_all_there_is(mailbox: Mailbox) -> None:
    mailbox.put(inline_image(message()), inline_image(message(sender="c2@t.example", files=[])))
    mailbox.read()
    filed, waiting = mailbox.rows()
    assert filed.status == IntakeStatus.FILED
    assert (waiting.reason, "logo.png" in waiting.detail) == ("no-accepted-kind", True)  # looked at, not accepted


def test_inline_images_count_only_when_alone() -> None:
    pdf, logo = Attachment("a.pdf", 9, "pdf"), Attachment("logo.png", 9, "image", inline=True)
    assert Letter("c1@t.example", "", "", (pdf, logo)).materials == (pdf,)
    assert Letter("c1@t.example", "", "", (logo,)).materials == (logo,)


def test_broken_mime_waits_as_malformed_and_the_run_goes_on(mailbox: Mailbox) -> None:
    no_boundary = (
        b"From: c1@t.example\r\nSubject: x\r\nMessage-ID: <broken-1@t>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed\r\n\r\n--XX\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\r\n"
    )
    no_sender = b"Subject: nobody\r\nMessage-ID: <broken-2@t>\r\n\r\nhello\r\n"
    mailbox.put(no_boundary, no_sender, nested(200), message(sender="c3@t.example"))
    done = mailbox.read()
    assert (done.filed, done.triage) == (1, 3)
    *broken, good = mailbox.rows()
    assert [row.reason for row in broken] == ["malformed"] * 3 and good.status == IntakeStatus.FILED
    assert all(row.detail for row in broken)


def nested(levels: int) -> bytes:
    """Multiparts inside multiparts, deeper than any mail program writes."""
    head = b"From: c1@t.example\r\nSubject: deep\r\nMessage-ID: <deep@t>\r\nMIME-Version: 1.0\r\n"
    body = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (n, n) for n in range(levels))
    return head + body + b"Content-Type: text/plain\r\n\r\nx\r\n"


def big_message(sender: str, megabytes: int) -> EmailMessage:
    big = PDF + b"0" * (megabytes * 1024 * 1024)
    return message(sender=sender, files=[("扫描件.pdf", big), ("方案.docx", docx())])


def test_a_60_mb_attachment_is_held_to_the_upload_limit(mailbox: Mailbox) -> None:
    mailbox.put(big_message("c1@t.example", 60))
    mailbox.read()
    [row] = mailbox.rows()
    assert (row.status, row.reason) == (IntakeStatus.TRIAGE, "refused")
    assert "50MB" in row.detail and "扫描件.pdf" in row.detail


def test_a_60_mb_attachment_is_filed_when_the_limit_allows_it(
    dovecot: Dovecot, sqlite_url: str, tmp_path: Path, plan: Plan
) -> None:
    for mailbox in mailbox_for(dovecot, sqlite_url, tmp_path, plan, upload_max_mb=100):
        mailbox.put(big_message("c1@t.example", 60))
        mailbox.read()
        [row] = mailbox.rows()
        assert row.status == IntakeStatus.FILED
        assert row.attachments[0]["size"] == len(PDF) + 60 * 1024 * 1024
        with session_scope(mailbox.settings.database_url) as session:
            stored = {f.name: f.sha256 for f in session.exec(select(tables.MaterialFile))}
        big = PDF + b"0" * (60 * 1024 * 1024)
        assert stored["扫描件.pdf"] == hashlib.sha256(big).hexdigest()  # decoded beside the parser, byte for byte
