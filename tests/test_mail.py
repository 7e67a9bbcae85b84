"""E-mail: digests rendered from the templates, and sent over real SMTP to an aiosmtpd sink (no mocks)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from models.mail.render import LEVELS, Digest, NoticeLine, Person, message_id, render_digest
from models.settings import Settings
from models.vocabulary import Level
from tasks.mail.mailsink import MailSink, eml_name, is_loopback
from tasks.mail.smtp import SmtpConfig, send_messages
from tests.ports import free_port

MAIL_FROM = "greencomm@qingyang.example.cn"
FAST = (0.01, 0.02)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(tmp_path / "sink") as server:
        yield server


def line(level: Level = "overdue", title: str = "完成绿色社区创建自评", **changes: Any) -> NoticeLine:
    stage = {"remind": "remind-3", "overdue": "overdue-1", "escalated": "overdue-3"}[level]
    label = {"remind": "提醒", "overdue": "催办", "escalated": "报领导小组办公室"}[level]
    base = NoticeLine(
        item_id="pilot.self_assessment",
        item_title=title,
        assignee_label="示例社区01",
        stage=stage,
        cycle=0,
        level=level,
        due=date(2022, 1, 31),
        overdue_days=0 if level == "remind" else 4,
        stage_label=label,
        lead="此项工作应于2022年1月31日前完成，现已逾期4个工作日，请抓紧办理，尽快办结。",
        details=(("责任单位", "示例社区01"), ("依据", "《实施方案》：“各社区对照创建标准开展自评”")),
        reason="责任单位经办人",
    )
    return replace(base, **changes)


def digest(*notices: NoticeLine, key: str = "qingyang/pilot/2022-02-08/zhang") -> Digest:
    return Digest(
        campaign_id="qingyang-green-2022",
        campaign_name="青阳街道绿色社区创建行动",
        phase_id="pilot",
        phase_name="试点先行",
        day=date(2022, 2, 8),
        recipient=Person("张三", "zhang@qingyang.example.cn"),
        notices=notices or (line(),),
        key=key,
        salutation="张三同志",
        opening="根据《实施方案》工作安排，现将有关事项通知如下",
        sender="青阳街道绿色社区创建行动工作领导小组办公室",
        citation="《实施方案》",
        reply_to="19626254@qq.com",
    )


def reparsed(message: EmailMessage) -> EmailMessage:
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert isinstance(part, EmailMessage)
    content: str = part.get_content()
    return content


def outgoing(count: int, *, to: str = "c{n:02d}@qingyang.example.cn") -> list[EmailMessage]:
    return [
        render_digest(
            replace(digest(), key=f"k{n}", recipient=Person(f"联系人{n}", to.format(n=n))),
            mail_from=MAIL_FROM,
        )
        for n in range(count)
    ]


def config_for(sink: MailSink, **changes: Any) -> SmtpConfig:
    return replace(SmtpConfig(sink.host, sink.port, "none", None, None, timeout=5.0), **changes)


# --- rendering ---------------------------------------------------------------------------------------


def test_subject_and_to_decode_back_to_chinese() -> None:
    message = reparsed(render_digest(digest(line("overdue"), line("overdue")), mail_from=MAIL_FROM))
    assert message["Subject"] == "【催办】青阳街道绿色社区创建行动：2项逾期未办结（2022年2月8日）"
    (to,) = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("张三", "zhang@qingyang.example.cn")
    assert message["Date"] == "Tue, 08 Feb 2022 09:00:00 +0800"
    assert message["Message-ID"] == render_digest(digest(), mail_from=MAIL_FROM)["Message-ID"]


def test_headers_stay_short_however_many_notices() -> None:
    """A 督办 digest can carry thousands of notices: no header grows with them, every line fits in 78."""
    keys = ",".join(f"a{n}/2022-02-08/overdue-1/0" for n in range(500))
    many = replace(digest(*[line("overdue") for _ in range(500)]), key=f"qingyang/pilot/zhang/{keys}")
    head = render_digest(many, mail_from=MAIL_FROM).as_bytes().partition(b"\n\n")[0]
    assert max(len(header) for header in head.splitlines()) <= 78
    assert len(head) < 1500


def test_sent_in_the_name_of_the_sender_with_the_mailbox_to_reply_to() -> None:
    message = reparsed(render_digest(digest(), mail_from=MAIL_FROM))
    # Python's parser keeps the space between two folded encoded-words of one display name (RFC 2047
    # says to drop it; mail clients do): compare without spaces.
    assert message["From"].addresses[0].display_name.replace(" ", "") == "青阳街道绿色社区创建行动工作领导小组办公室"
    assert message["From"].addresses[0].addr_spec == MAIL_FROM
    assert message["Reply-To"].addresses[0].addr_spec == "19626254@qq.com"
    assert reparsed(render_digest(replace(digest(), reply_to=None), mail_from=MAIL_FROM))["Reply-To"] is None


def test_digest_has_plain_text_and_html_saying_what_when_whom_why() -> None:
    message = reparsed(render_digest(digest(), mail_from=MAIL_FROM))
    assert message.get_content_type() == "multipart/alternative"
    for subtype in ("plain", "html"):
        text = body(message, subtype)
        for expected in (
            "张三同志：",
            "根据《实施方案》工作安排，现将有关事项通知如下（1项逾期未办结）：",
            "【催办】完成绿色社区创建自评",
            "现已逾期4个工作日",
            "示例社区01",
            "各社区对照创建标准开展自评",
            "青阳街道绿色社区创建行动工作领导小组办公室",
            "2022年2月8日",
        ):
            assert expected in text, (subtype, expected)
        assert "2022-02-08" not in text and "pilot" not in text and "greencomm" not in text


def test_html_escapes_a_script_in_the_title() -> None:
    evil = line(title="<script>alert('x')</script>", lead='责任人 <b onclick="x">')
    html = body(reparsed(render_digest(digest(evil), mail_from=MAIL_FROM)), "html")
    assert "<script>" not in html and "<b onclick" not in html
    assert "&lt;script&gt;" in html


def test_same_digest_renders_identical_bytes() -> None:
    first = render_digest(digest(line("remind"), line("escalated")), mail_from=MAIL_FROM)
    again = render_digest(digest(line("remind"), line("escalated")), mail_from=MAIL_FROM)
    assert first.as_bytes() == again.as_bytes()
    assert first["Message-ID"] == message_id("qingyang/pilot/2022-02-08/zhang", "qingyang.example.cn")


def test_different_key_gets_a_different_message_id_on_the_sender_domain() -> None:
    one = render_digest(replace(digest(key="a"), sender=""), mail_from=f"绿色社区 <{MAIL_FROM}>")
    other = render_digest(digest(key="b"), mail_from=MAIL_FROM)
    assert one["Message-ID"] != other["Message-ID"]
    assert str(one["Message-ID"]).startswith("<") and str(one["Message-ID"]).endswith("@qingyang.example.cn>")
    assert one["From"].addresses[0].display_name == "绿色社区"  # no sender in the plan: the setting's name


@pytest.mark.parametrize(
    ("levels", "top", "absent"),
    [
        (("remind",), "remind", ("overdue", "escalated")),
        (("remind", "overdue"), "overdue", ("escalated",)),
        (("overdue", "escalated", "remind"), "escalated", ()),
    ],
)
def test_colours_and_subject_follow_the_highest_level(
    levels: tuple[Level, ...], top: Level, absent: tuple[Level, ...]
) -> None:
    lines = [line(level) for level in levels]
    message = reparsed(render_digest(digest(*lines), mail_from=MAIL_FROM))
    html = body(message, "html")
    top_label = next(n.stage_label for n in lines if n.level == top)
    assert str(message["Subject"]).startswith(f"【{top_label}】")
    assert f"background:{LEVELS[top].colour};color:#ffffff" in html  # the banner
    for level in levels:
        assert LEVELS[level].meaning in html  # one header per level
    for level in absent:
        assert LEVELS[level].colour not in html


def test_reminder_subject_counts_what_is_due_soon() -> None:
    message = render_digest(digest(line("remind")), mail_from=MAIL_FROM)
    assert message["Subject"] == "【提醒】青阳街道绿色社区创建行动：1项即将到期（2022年2月8日）"
    assert "【提醒】完成绿色社区创建自评" in body(message, "plain")


def test_subject_and_names_never_carry_line_breaks() -> None:
    sneaky = replace(
        digest(),
        campaign_name="行动\r\nBcc: victim@example.com",
        recipient=Person("张\n三", "zhang@example.cn"),
    )
    message = reparsed(render_digest(sneaky, mail_from=MAIL_FROM))
    assert "\r" not in str(message["Subject"]) and "\n" not in str(message["Subject"])
    assert message["Bcc"] is None
    assert message["To"].addresses[0].display_name == "张 三"


# --- the sink ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.10", False),
        ("::", False),
        ("mail.example.cn", False),
    ],
)
def test_sink_listens_on_loopback_only(tmp_path: Path, host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    if not loopback:
        with pytest.raises(ValueError, match="loopback"):
            MailSink(tmp_path, host=host)


def test_eml_names_are_safe_file_names() -> None:
    assert eml_name(7, "<abc/../def@host>") == "0007-abc_.._def@host.eml"
    assert eml_name(12, "") == "0012-no-message-id.eml"


# --- sending over SMTP -------------------------------------------------------------------------------


class CountingSink(MailSink):
    """Counts connections (one EHLO each) and refuses chosen recipients with chosen replies."""

    def __init__(self, directory: Path, refusals: dict[str, list[str]] | None = None) -> None:
        super().__init__(directory)
        self.connections = 0
        self.refusals = refusals or {}

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        self.connections += 1
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        replies = self.refusals.get(address)
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.mark.anyio
async def test_twenty_messages_over_three_connections_arrive_once(tmp_path: Path) -> None:
    messages = outgoing(20)
    with CountingSink(tmp_path / "sink") as sink:
        results = await send_messages(messages, config_for(sink), concurrency=3, backoff=FAST)
    assert [r.message_id for r in results] == [str(m["Message-ID"]) for m in messages]
    assert all(r.ok and r.error is None for r in results)
    received = sorted(str(m["Message-ID"]) for m in sink.messages)
    assert received == sorted(str(m["Message-ID"]) for m in messages)
    assert sink.connections <= 3  # connections are reused, not opened per message
    assert len(list((tmp_path / "sink").glob("*.eml"))) == 20
    assert reparsed(sink.messages[0])["Subject"] == messages[0]["Subject"]


@pytest.mark.anyio
async def test_server_down_fails_every_message_quickly_without_raising() -> None:
    config = SmtpConfig("127.0.0.1", free_port("127.0.0.1"), "none", None, None, timeout=2.0)
    started = time.monotonic()
    results = await send_messages(outgoing(6), config, concurrency=2, attempts=3, backoff=FAST)
    assert time.monotonic() - started < 3.0
    assert len(results) == 6
    assert all(not r.ok and r.error for r in results)
    assert "SMTPConnectError" in (results[0].error or "")


@pytest.mark.anyio
async def test_nothing_to_send_opens_no_connection() -> None:
    config = SmtpConfig("127.0.0.1", free_port("127.0.0.1"), "none", None, None)
    assert await send_messages([], config) == []


@pytest.mark.anyio
async def test_temporary_refusal_is_retried_until_delivered(tmp_path: Path) -> None:
    flaky = "c01@qingyang.example.cn"
    refusals = {flaky: ["451 4.3.0 try again later"]}
    with CountingSink(tmp_path / "sink", refusals) as sink:
        results = await send_messages(outgoing(3), config_for(sink), concurrency=1, backoff=FAST)
    assert all(r.ok for r in results)
    assert refusals[flaky] == []  # the refusal was used up
    delivered = [m["To"].addresses[0].addr_spec for m in sink.messages]
    assert sorted(delivered) == sorted(f"c{n:02d}@qingyang.example.cn" for n in range(3))
    assert sink.connections == 1  # a refused recipient does not cost the connection


@pytest.mark.anyio
async def test_permanent_refusal_is_not_retried(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    gone = "c00@qingyang.example.cn"
    refusals = {gone: ["550 5.1.1 no such user"] * 3}
    with caplog.at_level(logging.WARNING, logger="greencomm.smtp"), CountingSink(tmp_path, refusals) as sink:
        results = await send_messages(outgoing(2), config_for(sink), backoff=FAST)
    assert [r.ok for r in results] == [False, True]
    assert "550" in (results[0].error or "") and "no such user" in (results[0].error or "")
    assert len(refusals[gone]) == 2  # asked once only
    assert len(sink.messages) == 1
    assert len([r for r in caplog.records if r.name == "greencomm.smtp"]) == 1  # one line per failure


@pytest.mark.anyio
async def test_failed_login_never_reveals_the_password(sink: MailSink, caplog: pytest.LogCaptureFixture) -> None:
    password = "Sup3r-Secret!pw"
    config = config_for(sink, username="greencomm", password=password)
    with caplog.at_level(logging.DEBUG, logger="greencomm.smtp"):
        results = await send_messages(outgoing(3), config, backoff=FAST)
    assert all(not r.ok and r.error for r in results)
    assert all(password not in (r.error or "") for r in results)
    assert password not in caplog.text and password not in repr(config)
    assert sink.messages == []


def test_smtp_config_comes_from_settings() -> None:
    assert SmtpConfig.from_settings(Settings(smtp_host=None)) is None
    settings = Settings(
        smtp_host="smtp.example.cn",
        smtp_port=465,
        smtp_security="tls",
        smtp_username="greencomm",
        smtp_password=SecretStr("pw"),
        smtp_timeout=12.0,
    )
    assert SmtpConfig.from_settings(settings) == SmtpConfig("smtp.example.cn", 465, "tls", "greencomm", "pw", 12.0)


@pytest.mark.anyio
async def test_sink_writes_received_mail_as_eml_files(tmp_path: Path) -> None:
    message = outgoing(1)[0]
    with MailSink(tmp_path / "out") as sink:
        (result,) = await send_messages([message], config_for(sink))
    assert result.ok
    (path,) = (tmp_path / "out").iterdir()
    assert path.name == eml_name(1, str(message["Message-ID"]))
    stored = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert stored["Subject"] == message["Subject"]
    assert isinstance(sink.messages[0]["To"].addresses[0], Address)


def test_a_letter_to_a_non_ascii_mailbox_is_stored_with_utf8_headers() -> None:
    """The weekly report, circular and receipts share `letter`: an office director at 王五@… still gets them."""
    from deployments.plan_file import load_plan
    from models.mail.mime import message_bytes
    from models.mail.render import letter
    from tasks.mail.outbox import parse_stored
    from tests.conftest import SMALL_PLAN

    at = datetime(2022, 2, 8, 9, 0, tzinfo=UTC)
    message = letter(load_plan(SMALL_PLAN), subject="【周报】测试", to=("王五@qy.example", "王五"), at=at, key="k",
                     mail_from=MAIL_FROM)  # fmt: skip
    message.set_content("正文")
    body = message_bytes(message)
    assert 'To: "王五" <王五@qy.example>'.encode() in body
    assert parse_stored(body)["Subject"] == "【周报】测试"


@pytest.mark.parametrize("count", [1, 3, 60])
def test_a_digest_serialises_as_the_standard_library_would(count: int) -> None:
    """digest_bytes writes the e-mail itself: its bytes must be the standard library's rendering."""
    from models.mail.mime import digest_bytes, message_bytes
    from models.mail.render import rendered_digest

    with_reply = digest(*[line("overdue") for _ in range(count)])
    odd = Person("王五", "王五@qy.example")
    for one in (with_reply, replace(with_reply, reply_to=None, recipient=Person("Zhang, San", "z@x.example"))):
        message = render_digest(one, mail_from=MAIL_FROM)
        fast = digest_bytes(rendered_digest(one, mail_from=MAIL_FROM))
        assert fast == message_bytes(message) == standard(message).as_bytes()
    unusual = replace(with_reply, recipient=odd)  # UTF-8 headers: the standard path
    assert digest_bytes(rendered_digest(unusual, mail_from=MAIL_FROM)) == message_bytes(
        render_digest(unusual, mail_from=MAIL_FROM)
    )


def standard(message: EmailMessage) -> EmailMessage:
    """The same e-mail built with the standard library's own content calls."""
    plain, html = (part.get_content() for part in message.iter_parts())
    built = EmailMessage()
    for name, value in message.items():
        if name not in ("MIME-Version", "Content-Type"):
            built[name] = value
    built.set_content(plain)
    built.add_alternative(html, subtype="html")
    built.set_boundary(str(message.get_boundary()))
    return built
