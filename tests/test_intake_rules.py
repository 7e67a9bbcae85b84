"""The mailbox's pure rules (SPEC §9): headers as people send them, sender authentication, and which unit, item and
materials a message is for. Tables of cases; the same rules run against Dovecot in test_intake*.py."""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path

import pytest
import yaml

from models.intake import Attachment, Candidate, Letter, Matched, Unmatched, decide, decoded, failed_authentication
from models.plan import Item, Plan, parse_plan
from models.vocabulary import AssigneeKey
from tasks.intake.blobs import set_aside
from tasks.intake.unpack import unpack
from tests.intake_mail import intake_plan_data

PDF = Attachment("方案.pdf", 10, "pdf", Path("a"))
DOCX = Attachment("方案.docx", 10, "word", Path("b"))


@pytest.fixture(scope="module")
def plan() -> Plan:
    return parse_plan(yaml.safe_dump(intake_plan_data(), allow_unicode=True))


def item(plan: Plan, item_id: str) -> Item:
    return next(i for phase in plan.phases for i in phase.items if i.id == item_id)


def open_work(plan: Plan, *units: str) -> list[Candidate]:
    dues = {"pilot.plan": date(2022, 1, 14), "pilot.apply": date(2022, 1, 10)}
    return [
        Candidate(n, item(plan, item_id), AssigneeKey(unit), due)
        for n, (unit, (item_id, due)) in enumerate(((u, d) for u in units for d in dues.items()), start=1)
    ]


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("=?GB2312?B?udjT2snqsaiyxMHPtcSxqMvN?=", "关于申报材料的报送"),
        ("=?utf-8?B?5Yi25a6a5pa55qGI?= (2)", "制定方案 (2)"),
        ("制定方案".encode("gb18030").decode("ascii", "surrogateescape"), "制定方案"),  # raw GBK bytes
        ("電子版".encode().decode("ascii", "surrogateescape"), "電子版"),  # raw UTF-8 bytes
        ("=?x-unknown?B?5Yi25a6a?=", "制定"),  # a charset Python lacks: UTF-8 tried
        (None, ""),
    ],
)
def test_headers_are_read_however_they_were_written(raw: str | None, text: str) -> None:
    assert decoded(raw) == text


@pytest.mark.parametrize(
    ("results", "failed"),
    [
        ("mx.qq.com; spf=pass smtp.mailfrom=c1@t.example; dkim=pass header.d=t.example; dmarc=pass", []),
        ("mx.qq.com; spf=fail smtp.mailfrom=c1@t.example; dmarc=fail header.from=t.example", ["dmarc", "spf"]),
        ("mx.qq.com; dkim=fail header.d=t.example; dkim=pass header.d=t.example", []),  # one of two signatures
        ("mx.qq.com; dkim=fail header.d=list.example", []),  # another domain's signature
        ("mx.qq.com; spf=softfail smtp.mailfrom=c1@t.example", []),
        ("mx.qq.com; dmarc=fail", ["dmarc"]),  # no domain named: the sender's
        ("", []),
    ],
)
def test_authentication_failing_for_the_senders_domain(results: str, failed: list[str]) -> None:
    assert failed_authentication(results, "t.example") == failed


def letter(sender: str = "c1@t.example", subject: str = "报送", files: tuple[Attachment, ...] = (PDF, DOCX)) -> Letter:
    return Letter(sender, subject, "", files)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (letter(subject="制定方案"), "pilot.plan"),  # its title named
        (letter(subject="关于申报的函"), "pilot.apply"),  # 申报: a short title named whole
        (letter(subject="材料"), "pilot.apply"),  # nothing named: the one due first
        (letter(sender="C1@T.EXAMPLE", subject="制定方案"), "pilot.plan"),  # addresses compare whatever the case
        (letter(sender="c1.head@t.example", subject="制定方案"), "pilot.plan"),  # the head acts for it too
        (letter(files=(PDF,)), "pilot.apply"),  # matched; the materials' rules then refuse the missing 电子版
        (letter(files=()), "no-attachment"),
        (letter(sender="x@elsewhere.example"), "unknown-sender"),
        (letter(sender="director@t.example"), "unknown-sender"),  # the leading group acts for no unit
        (letter(files=(Attachment("a.txt", 3, None, Path("t")),)), "no-accepted-kind"),
        (letter(files=(Attachment("winmail.dat", 3, None, unsupported=True),)), "no-accepted-kind"),
        (Letter("c1@t.example", "", "", (PDF,), malformed="坏了"), "malformed"),
    ],
)
def test_a_message_is_matched_or_told_why_not(plan: Plan, message: Letter, expected: str) -> None:
    found = decide(plan, message, open_work(plan, "community:c1", "community:c2"))
    assert (found.candidate.item.id if isinstance(found, Matched) else found.reason) == expected
    if isinstance(found, Matched):
        assert found.candidate.assignee == "community:c1"


def test_attachments_fill_the_materials_by_kind(plan: Plan) -> None:
    found = decide(plan, letter(subject="制定方案", files=(DOCX, PDF)), open_work(plan, "community:c1"))
    assert isinstance(found, Matched)
    assert [(label, f.name) for label, f in found.files] == [("电子版", "方案.docx"), ("盖章扫描PDF版", "方案.pdf")]


def test_two_items_due_the_same_day_are_a_tie(plan: Plan) -> None:
    same_day = [
        Candidate(c.assignment_id, c.item, c.assignee, date(2022, 1, 14)) for c in open_work(plan, "community:c1")
    ]
    found = decide(plan, letter(subject="材料"), same_day)
    assert isinstance(found, Unmatched) and found.reason == "tie"


def test_a_unit_with_no_open_item_for_materials(plan: Plan) -> None:
    found = decide(plan, letter(), open_work(plan, "community:c2"))
    assert isinstance(found, Unmatched) and found.reason == "no-open-item"


@pytest.mark.parametrize("width", [76, 72, 62])  # line lengths mail programs write, quads split across lines
def test_a_large_attachment_is_set_aside_byte_for_byte(tmp_path: Path, width: int) -> None:
    data = bytes(range(256)) * 6000 + b"tail"  # 1.5 MB, a final partial quad padded
    text = base64.b64encode(data)
    lines = b"\r\n".join(text[i : i + width] for i in range(0, len(text), width))
    small = base64.encodebytes(b"%PDF-1.4 small").replace(b"\n", b"\r\n")
    raw = tmp_path / "m.eml"
    raw.write_bytes(
        b'From: c1@t.example\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="big.bin"\r\n\r\n' + lines + b"\r\n--B\r\n"
        b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="small.pdf"\r\n\r\n' + small + b"--B--\r\n"
    )
    reduced, aside = set_aside(raw, tmp_path / "aside")
    assert reduced.stat().st_size < 2000 and len(aside) == 1  # the small one stays inline
    letter = unpack(raw, tmp_path)
    big, pdf = letter.attachments
    assert big.path is not None and big.path.read_bytes() == data and big.size == len(data)
    assert (pdf.name, pdf.kind) == ("small.pdf", "pdf")


def test_a_yearly_item_open_twice_is_one_item_its_earliest_occurrence(plan: Plan) -> None:
    plan_item = item(plan, "pilot.plan")
    later, earlier = (
        Candidate(n, plan_item, AssigneeKey("community:c1"), date(y, 3, 15)) for n, y in ((7, 2023), (8, 2022))
    )
    found = decide(plan, letter(subject="材料"), [later, earlier])
    assert isinstance(found, Matched) and found.candidate.assignment_id == 8
