"""E-mail digests of notices (SPEC §4): data and rendering, no I/O beyond loading the templates."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import jinja2

from models.rules import Level

# The Digest carries no timezone; the campaigns are Chinese, so the Date header is 09:00 China time.
CHINA_TZ = timezone(timedelta(hours=8))
SEND_TIME = time(9, 0)

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("tasks", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html"), default=False),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


@dataclass(frozen=True)
class Person:
    """Someone with a name and an address."""

    name: str
    email: str


@dataclass(frozen=True)
class NoticeLine:
    """One notice as a reader sees it: what is due, how late, what to do, whom to tell, and why them."""

    item_id: str
    item_title: str
    assignee_label: str
    stage: str
    cycle: int
    level: Level
    due: date | None
    overdue_days: int
    what_to_do: str
    basis: str
    report_to: Person
    reason: str


@dataclass(frozen=True)
class Digest:
    """All notices of one phase run for one recipient: one e-mail."""

    campaign_id: str
    campaign_name: str
    phase_id: str
    phase_name: str
    day: date
    recipient: Person
    notices: tuple[NoticeLine, ...]
    key: str


@dataclass(frozen=True)
class LevelStyle:
    """How a 督办 level looks: its word, ink colour, background and what it means."""

    label: str
    colour: str
    background: str
    meaning: str


LEVELS: dict[Level, LevelStyle] = {
    "escalated": LevelStyle("督办", "#cf222e", "#ffebe9", "逾期未办结，已提请上级督办"),
    "overdue": LevelStyle("逾期", "#bf8700", "#fff8c5", "已超过完成时限，请尽快办结"),
    "remind": LevelStyle("提醒", "#1f6feb", "#ddf4ff", "即将到期，请按时完成"),
}
LEVEL_ORDER: tuple[Level, ...] = ("escalated", "overdue", "remind")


@dataclass(frozen=True)
class NoticeView:
    """A notice with the sentences the templates show."""

    line: NoticeLine
    stage_text: str
    timing_text: str


def message_id(key: str, domain: str) -> str:
    """A stable Message-ID for a digest key, so a resend is recognisable as the same e-mail."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    host = re.sub(r"[^A-Za-z0-9.-]", "", domain) or "localhost"
    return f"<{digest}@{host}>"


def render_digest(digest: Digest, *, mail_from: str) -> EmailMessage:
    """The digest as a multipart/alternative e-mail; the same digest always renders to the same bytes."""
    sender_name, sender_address = parseaddr(mail_from)
    context = _context(digest)
    message = EmailMessage()
    message["From"] = _address(sender_name or digest.campaign_name, sender_address or mail_from)
    message["To"] = _address(digest.recipient.name, digest.recipient.email)
    message["Subject"] = subject(digest)
    message["Date"] = format_datetime(datetime.combine(digest.day, SEND_TIME, CHINA_TZ))
    message["Message-ID"] = message_id(digest.key, sender_address.rpartition("@")[2])
    message["X-Greencomm-Key"] = one_line(digest.key)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(TEMPLATES.get_template("digest.txt.j2").render(context))
    message.add_alternative(TEMPLATES.get_template("digest.html.j2").render(context), subtype="html")
    # A random MIME boundary would make every rendering differ; derive it from the key instead.
    message.set_boundary("=_greencomm_" + hashlib.sha256(digest.key.encode("utf-8")).hexdigest()[:32])
    return message


def subject(digest: Digest) -> str:
    """【督办】campaign · day · counts — one line, worded by the highest level present."""
    top = LEVELS[highest_level(digest.notices)]
    return one_line(f"【{top.label}】{digest.campaign_name} · {digest.day.isoformat()} · {summary(digest)}")


def summary(digest: Digest) -> str:
    """'3 项逾期、1 项即将到期': how many notices of each kind."""
    missed = sum(1 for n in digest.notices if n.stage == "target-missed")
    due_soon = sum(1 for n in digest.notices if n.level == "remind")
    late = len(digest.notices) - missed - due_soon
    parts = [(late, "项逾期"), (missed, "项目标未达成"), (due_soon, "项即将到期")]
    return "、".join(f"{count} {what}" for count, what in parts if count) or "无待办事项"


def highest_level(notices: tuple[NoticeLine, ...]) -> Level:
    """The most urgent level among the notices (reminder when there are none)."""
    present = {n.level for n in notices}
    return next((level for level in LEVEL_ORDER if level in present), "remind")


def one_line(text: str) -> str:
    """Text safe for a header: control characters (CR, LF, …) become single spaces."""
    return _CONTROL.sub(" ", text).strip()


def _address(name: str, address: str) -> Address:
    return Address(display_name=one_line(name), addr_spec=one_line(address))


def _context(digest: Digest) -> dict[str, object]:
    groups = [
        (LEVELS[level], [_view(n) for n in digest.notices if n.level == level])
        for level in LEVEL_ORDER
        if any(n.level == level for n in digest.notices)
    ]
    return {
        "digest": digest,
        "top": LEVELS[highest_level(digest.notices)],
        "summary": summary(digest),
        "groups": groups,
    }


def _view(line: NoticeLine) -> NoticeView:
    return NoticeView(line, stage_text(line.stage, line.cycle), timing_text(line))


def stage_text(stage: str, cycle: int) -> str:
    """'到期前 3 个工作日提醒', '第 2 级督办（第 1 次重复）', '目标未达成'."""
    kind, _, number = stage.partition("-")
    if kind == "remind":
        return f"到期前 {number} 个工作日提醒"
    if kind == "overdue":
        repeat = f"（第 {cycle} 次重复督办）" if cycle else ""
        return f"第 {number} 级督办{repeat}"
    if stage == "target-missed":
        return "目标未达成"
    return stage


def timing_text(line: NoticeLine) -> str:
    """When it was due and how late it is, in working days."""
    if line.due is None:
        return "未设定完成时限"
    if line.stage == "target-missed":
        return f"目标日期 {line.due.isoformat()}，到期未达成"
    if line.overdue_days > 0:
        return f"应于 {line.due.isoformat()} 前完成，已逾期 {line.overdue_days} 个工作日"
    return f"请于 {line.due.isoformat()}（含当日）前完成"
