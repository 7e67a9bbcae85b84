"""Stage names, role ranks and due days moved by extensions (SPEC §2, §4): pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from models.plan import Escalation, Recipient

# The higher a role, the more of the campaign its holder oversees; a person is written to in the highest.
ROLE_RANK: dict[str, int] = {
    "assignee": 1,
    "supervisors": 2,
    "assignee_head": 3,
    "supervisor_heads": 4,
    "leading_group_office": 5,
    "leader": 6,
}


def higher_role(current: str | None, candidate: str) -> bool:
    """Whether `candidate` outranks the role a person already has for a notice."""
    return current is None or ROLE_RANK[candidate] > ROLE_RANK[current]


@dataclass(frozen=True)
class Moved:
    """An approved extension as escalation reads it: from `day` on, the due day is `new_due`."""

    day: date
    previous_due: date
    new_due: date


def effective_due(current_due: date, moves: Sequence[Moved], day: date) -> date:
    """The due day on `day`: an extension dated after `day` has not moved it yet."""
    later = sorted((m for m in moves if m.day > day), key=lambda m: m.day)
    return later[0].previous_due if later else current_due


def stage_label(escalation: Escalation, stage: str) -> str:
    """The plan's `label` for a stage, else the word an office would use: 提醒, 催办, 督办, 报组长 …"""
    kind, _, number = stage.partition("-")
    if stage == "assigned":
        return escalation.assign.label or "交办"
    if stage == "extended":
        return "延期"
    if stage == "target-missed":
        return "目标未达成"
    if kind == "remind":
        reminder = next((r for r in escalation.reminders if str(r.before) == number), None)
        return (reminder.label if reminder else None) or "提醒"
    index = int(number) - 1
    if not 0 <= index < len(escalation.ladder):
        return "督办"
    stage_def = escalation.ladder[index]
    return stage_def.label or _default_overdue_label(index, stage_def.notify)


def _default_overdue_label(index: int, notify: Sequence[Recipient]) -> str:
    if "leader" in notify:
        return "报组长"
    if "leading_group_office" in notify:
        return "报领导小组办公室"
    return "催办" if index == 0 else "督办"
