"""Notice stages (SPEC §4, §5): `assigned`, `remind-<k>`, `overdue-<i>`, `extended`, `target-missed`."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Literal

from models.vocabulary.roles import Role

if TYPE_CHECKING:  # the plan's escalation comes in as a parameter; the plan's schema uses this vocabulary
    from models.plan import Escalation

Level = Literal["remind", "overdue", "escalated"]  # 督办 colours: blue, amber, red


class StageKind(StrEnum):
    ASSIGNED = "assigned"
    EXTENDED = "extended"
    REMIND = "remind"
    OVERDUE = "overdue"
    TARGET_MISSED = "target-missed"


_NUMBERED = (StageKind.REMIND, StageKind.OVERDUE)
_ORDER = {StageKind.ASSIGNED: 0, StageKind.EXTENDED: 1}  # then the reminder or overdue stage
_LOWEST = {StageKind.REMIND: 0, StageKind.OVERDUE: 1}  # `remind-0` is the due day itself; the ladder counts from 1


@dataclass(frozen=True)
class Stage:
    """A stage: its kind and, for a reminder, the working days before the due day (k); for an overdue
    stage, its 1-based place on the ladder (i)."""

    kind: StageKind
    number: int = 0

    def __post_init__(self) -> None:
        lowest = _LOWEST.get(self.kind)
        if self.number != 0 if lowest is None else self.number < lowest:
            raise ValueError(f"stage {self.kind} with number {self.number}")

    @classmethod
    def parse(cls, text: str) -> Stage:
        """The stage a stored name stands for; ValueError if it is none (a run's few names are parsed once)."""
        return _parsed(text)

    @classmethod
    def remind(cls, before: int) -> Stage:
        return cls(StageKind.REMIND, before)

    @classmethod
    def overdue(cls, index: int) -> Stage:
        """The ladder's stage at 0-based `index`."""
        return cls(StageKind.OVERDUE, index + 1)

    def __str__(self) -> str:
        return self.name

    @cached_property
    def name(self) -> str:
        """The stage as stored (worked out once: a run writes it on every notice)."""
        return f"{self.kind}-{self.number}" if self.kind in _NUMBERED else str(self.kind)

    @property
    def order(self) -> int:
        """An assignment's notices of one day, in the order they are read: 交办, 延期, then its stage."""
        return _ORDER.get(self.kind, 2)

    def rung(self, escalation: Escalation) -> int | None:
        """The ladder index (0-based) of an overdue stage the plan still has; None otherwise."""
        index = self.number - 1
        return index if self.kind is StageKind.OVERDUE and 0 <= index < len(escalation.ladder) else None

    def level(self, escalation: Escalation) -> Level:
        """Blue for 交办, reminders and 延期; amber while only the assignee and supervisors are told; red above.
        An overdue stage the plan no longer has (reloaded with a shorter ladder) reads as red, never a crash."""
        if self.kind in (StageKind.REMIND, StageKind.ASSIGNED, StageKind.EXTENDED):
            return "remind"
        rung = self.rung(escalation)
        if rung is None:
            return "escalated"
        notify = set(escalation.ladder[rung].notify)
        return "overdue" if notify <= {Role.ASSIGNEE, Role.SUPERVISORS} else "escalated"

    def label(self, escalation: Escalation) -> str:
        """The plan's `label` for the stage, else the word an office would use: 提醒, 催办, 督办, 报组长 …"""
        match self.kind:
            case StageKind.ASSIGNED:
                return escalation.assign.label or "交办"
            case StageKind.EXTENDED:
                return "延期"
            case StageKind.TARGET_MISSED:
                return "目标未达成"
            case StageKind.REMIND:
                reminder = next((r for r in escalation.reminders if r.before == self.number), None)
                return (reminder.label if reminder else None) or "提醒"
        rung = self.rung(escalation)
        if rung is None:
            return "督办"
        return escalation.ladder[rung].label or _default_overdue_label(rung, escalation.ladder[rung].notify)


@lru_cache(maxsize=1024)
def _parsed(text: str) -> Stage:
    try:
        for kind in _NUMBERED:
            if text.startswith(f"{kind}-") and text[len(kind) + 1 :].isdigit():
                return Stage(kind, int(text[len(kind) + 1 :]))
        return Stage(StageKind(text))
    except ValueError:
        raise ValueError(f"{text!r} is not a stage") from None


ASSIGNED = Stage(StageKind.ASSIGNED)
EXTENDED = Stage(StageKind.EXTENDED)
TARGET_MISSED = Stage(StageKind.TARGET_MISSED)


def _default_overdue_label(index: int, notify: Collection[str]) -> str:
    if Role.LEADER in notify:
        return "报组长"
    if Role.LEADING_GROUP_OFFICE in notify:
        return "报领导小组办公室"
    return "催办" if index == 0 else "督办"
