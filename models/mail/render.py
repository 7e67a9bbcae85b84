"""E-mail digests of notices (SPEC §4): data and rendering, no I/O beyond loading the templates."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import jinja2

from models.mail.entries import entries
from models.mail.mime import Rendered, address, as_message, encoded_text, one_line
from models.mail.wording import cn_date, percent, rate_text, sender
from models.plan import Plan
from models.vocabulary import Level, Stage, StageKind

# The Digest carries no timezone; the campaigns are Chinese, so the Date header is 09:00 China time.
CHINA_TZ = timezone(timedelta(hours=8))
SEND_TIME = time(9, 0)

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("models.mail", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html"), default=False),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


TEMPLATES.filters |= {"cn_date": cn_date, "percent": percent, "rate": rate_text}


@dataclass(frozen=True)
class Person:
    """Someone with a name and an address."""

    name: str
    email: str


@dataclass(frozen=True)
class NoticeLine:
    """One notice as its reader sees it: the item, its stage, one sentence for their role and the details."""

    item_id: str  # for dry-run listings only; never rendered
    item_title: str
    assignee_label: str
    stage: str
    cycle: int
    level: Level
    due: date | None
    overdue_days: int
    stage_label: str  # 交办 / 提醒 / 催办 / 督办 / 报领导小组办公室 / 报组长 / 延期 / 目标未达成
    lead: str
    details: tuple[tuple[str, str], ...]
    reason: str  # the reader's role, in words
    assignment_id: int | None = None  # never rendered; the desk's links point at it
    role: str = ""  # the reader's role for this line (assignee, supervisors, …); never rendered
    links: tuple[tuple[str, str], ...] = ()  # (签收 / 申报办结 / 申请延期, URL) when the desk is configured


@dataclass(frozen=True)
class Digest:
    """All notices of one phase run for one recipient: one e-mail, in the name of the campaign's sender."""

    campaign_id: str
    campaign_name: str
    phase_id: str
    phase_name: str
    day: date
    recipient: Person
    notices: tuple[NoticeLine, ...]
    key: str
    salutation: str = ""
    opening: str = ""  # 根据《…》工作安排，现将…通知如下
    sender: str = ""
    citation: str = ""
    reply_to: str | None = None
    mine_link: str = ""  # the reader's 我的事项 page, when the desk is configured


@dataclass(frozen=True)
class LevelStyle:
    """How a 督办 level looks: its word, ink colour, background and the heading of its group."""

    label: str
    colour: str
    background: str
    meaning: str


LEVELS: dict[Level, LevelStyle] = {
    "escalated": LevelStyle("督办", "#cf222e", "#ffebe9", "逾期未办结、需要督办的事项"),
    "overdue": LevelStyle("催办", "#bf8700", "#fff8c5", "已超过完成时限的事项"),
    "remind": LevelStyle("提醒", "#1f6feb", "#ddf4ff", "交办、提醒和延期事项"),
}
LEVEL_ORDER: tuple[Level, ...] = ("escalated", "overdue", "remind")


def message_id(key: str, domain: str) -> str:
    """A stable Message-ID for a digest key, so a resend is recognisable as the same e-mail."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    host = re.sub(r"[^A-Za-z0-9.-]", "", domain) or "localhost"
    return f"<{digest}@{host}>"


def rendered_digest(digest: Digest, *, mail_from: str) -> Rendered:
    """The digest's headers and texts; the same digest always renders to the same bytes."""
    sender_name, sender_address = parseaddr(mail_from)
    context = _context(digest)
    headers = [
        address("From", digest.sender or sender_name or digest.campaign_name, sender_address or mail_from),
        address("To", digest.recipient.name, digest.recipient.email),
    ]
    if digest.reply_to:
        headers.append(address("Reply-To", digest.sender, digest.reply_to))
    # A random MIME boundary would make every rendering differ; derive it from the key instead.
    boundary = "=_greencomm_" + hashlib.sha256(digest.key.encode("utf-8")).hexdigest()[:32]
    headers += [
        ("Subject", encoded_text("Subject", subject(digest))),
        ("Date", format_datetime(datetime.combine(digest.day, SEND_TIME, CHINA_TZ))),
        ("Message-ID", message_id(digest.key, sender_address.rpartition("@")[2])),
        ("Auto-Submitted", "auto-generated"),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative;\n boundary="{boundary}"'),
    ]
    text = TEMPLATES.get_template("digest.txt.j2").render(context)
    html = TEMPLATES.get_template("digest.html.j2").render(context)
    return Rendered(tuple(headers), text, html, boundary)


def render_digest(digest: Digest, *, mail_from: str) -> EmailMessage:
    """The digest as a multipart/alternative e-mail, to read or to send."""
    return as_message(rendered_digest(digest, mail_from=mail_from))


def subject(digest: Digest) -> str:
    """【报组长】campaign：counts（day）— one line, named after the most pressing notice."""
    top = most_pressing(digest.notices)
    word = top.stage_label if top else LEVELS["remind"].label
    return one_line(f"【{word}】{digest.campaign_name}：{summary(digest)}（{cn_date(digest.day)}）")


def most_pressing(notices: tuple[NoticeLine, ...]) -> NoticeLine | None:
    """The notice of the highest level, the latest stage among those."""
    if not notices:
        return None
    return min(notices, key=lambda n: (LEVEL_ORDER.index(n.level), -_stage_rank(n.stage)))


def _stage_rank(name: str) -> int:
    stage = Stage.parse(name)
    return {StageKind.OVERDUE: 100, StageKind.TARGET_MISSED: 1000}.get(stage.kind, 0) + stage.number


def summary(digest: Digest) -> str:
    """'3项逾期、1项即将到期、2项新交办': how many notices of each kind."""
    kinds = [Stage.parse(n.stage).kind for n in digest.notices]
    parts = [
        (kinds.count(StageKind.OVERDUE), "项逾期未办结"),
        (kinds.count(StageKind.TARGET_MISSED), "项目标未达成"),
        (kinds.count(StageKind.REMIND), "项即将到期"),
        (kinds.count(StageKind.EXTENDED), "项延期"),
        (kinds.count(StageKind.ASSIGNED), "项新交办"),
    ]
    return "、".join(f"{count}{what}" for count, what in parts if count) or "无待办事项"


def highest_level(notices: tuple[NoticeLine, ...]) -> Level:
    """The most urgent level among the notices (reminder when there are none)."""
    present = {n.level for n in notices}
    return next((level for level in LEVEL_ORDER if level in present), "remind")


def _context(digest: Digest) -> dict[str, object]:
    groups = [
        (LEVELS[level], entries([n for n in digest.notices if n.level == level]))
        for level in LEVEL_ORDER
        if any(n.level == level for n in digest.notices)
    ]
    return {
        "digest": digest,
        "top": LEVELS[highest_level(digest.notices)],
        "subject": subject(digest),
        "summary": summary(digest),
        "groups": groups,
        "today": cn_date(digest.day),
        "numbers": "一二三四五六七八九十",
    }


def letter(plan: Plan, *, subject: str, to: tuple[str, str], at: datetime, key: str, mail_from: str) -> EmailMessage:
    """The head of a letter in the campaign's name (report, circular, receipt): from the sender organ, to one
    (address, name), dated `at`, with a Message-ID stable for `key`."""
    mailbox = parseaddr(mail_from)[1] or mail_from
    message = EmailMessage()
    for name, value in (
        address("From", sender(plan), mailbox),
        address("To", to[1], to[0]),
        ("Subject", encoded_text("Subject", subject)),
    ):
        message.set_raw(name, value)
    message["Date"] = format_datetime(at)
    message["Message-ID"] = message_id(key, mailbox.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"
    return message
