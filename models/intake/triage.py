"""What waits for a person (待分拣), as status, the artifact and the weekly report show it: sender, subject, date,
attachments and the reason, in Chinese."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from models.intake.reasons import IntakeReason
from models.intake.tables import IntakeMessage
from models.mail import cn_date


@dataclass(frozen=True)
class Triage:
    """One message waiting: its number (the UID `greencomm intake assign|ignore` takes) and what it is."""

    uid: int
    sender: str
    subject: str
    date: str  # as a 公文 writes it; empty when the message gave none
    attachments: str
    reason: str


def triage_lines(rows: Sequence[IntakeMessage], timezone: str) -> list[Triage]:
    zone = ZoneInfo(timezone)
    return [
        Triage(
            row.uid,
            row.sender or "（无法识别）",
            row.subject or "（无主题）",
            cn_date((row.sent_at if row.sent_at.tzinfo else row.sent_at.replace(tzinfo=UTC)).astimezone(zone).date())
            if row.sent_at
            else "",
            "、".join(str(a["name"]) for a in row.attachments) or "无",
            IntakeReason(row.reason).text + (f"：{row.detail}" if row.detail else "") if row.reason else row.detail,
        )
        for row in rows
    ]


def triage_table(lines: Sequence[Triage]) -> list[dict[str, Any]]:
    """The rows of the 待分拣 artifact."""
    return [
        {"编号": t.uid, "发件人": t.sender, "主题": t.subject, "日期": t.date, "附件": t.attachments, "原因": t.reason}
        for t in lines
    ]
