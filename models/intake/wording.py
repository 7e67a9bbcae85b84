"""The mailbox's e-mail (SPEC §9): a receipt to whoever sent materials, in 公文 wording (no identifiers, no English,
dates as 2022年1月31日)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from email.message import EmailMessage

from models.mail import cn_date, letter, one_line, salutation, sender
from models.plan import Plan, Seat


def receipt(
    plan: Plan,
    seat: Seat,
    *,
    item_title: str,
    files: Sequence[tuple[str, str]],
    sent_on: date | None,
    highlight: bool,
    key: str,
    at: datetime,
    mail_from: str,
) -> EmailMessage:
    """已收到……，待审核: to the sender of a matched message (their seat in the unit it was filed for); `files` are
    (material label, file name)."""
    person, unit_name = seat.person, seat.unit_name
    local = plan.campaign.local(at)
    when = f"于{cn_date(sent_on)}" if sent_on else ""
    what = "亮点信息" if highlight else f"“{item_title}”材料"
    listed = "；".join(f"{label}：{one_line(name)}" if label else one_line(name) for label, name in files)
    result = "已登记，将纳入亮点信息统计" if highlight else "待审核"
    lines = [
        f"{salutation(person.name, person.title, person.salutation)}：",
        "",
        f"　　已收到你单位{when}报送的{what}，{result}。",
        f"　　收到的附件：{listed}。" if listed else "　　本邮件未附文件。",
        *([] if highlight else ["　　审核结果将另行邮件告知。"]),
        "",
        sender(plan),
        cn_date(local.date()),
    ]
    subject = f"【回执】已收到{unit_name}报送的{what}"
    message = letter(plan, subject=subject, to=(person.email, person.name), at=local, key=key, mail_from=mail_from)
    message.set_content("\n".join(lines) + "\n")
    return message
