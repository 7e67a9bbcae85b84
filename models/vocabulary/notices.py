"""A notice's key (SPEC §4): stored once per (assignment, due day, stage, cycle), or once per missed target."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from models.vocabulary.stages import ASSIGNED, TARGET_MISSED, Stage

ASSIGNMENT_PREFIX = "a"  # `a<assignment id>…`: SQL builds the same text from the id column and a suffix
_ASSIGNMENT = re.compile(r"a(\d+)/(?:(\d{4}-\d{2}-\d{2})/)?([a-z-]+(?:-\d+)?)/(\d+)")
_TARGET = re.compile(r"t(.+)/target-missed/0")


@dataclass(frozen=True)
class NoticeKey:
    """`a<assignment id>/<due day>/<stage>/<cycle>`; 交办 once per assignment (`a<id>/assigned/0`) whatever its
    due day; `t<target id>/target-missed/0`."""

    stage: Stage
    cycle: int = 0
    assignment_id: int | None = None
    due: date | None = None
    target_id: str | None = None

    @classmethod
    def for_assignment(cls, assignment_id: int, due: date, stage: Stage, cycle: int) -> NoticeKey:
        if stage == ASSIGNED:
            return cls(ASSIGNED, 0, assignment_id)
        return cls(stage, cycle, assignment_id, due)

    @classmethod
    def for_target(cls, target_id: str) -> NoticeKey:
        return cls(TARGET_MISSED, 0, target_id=target_id)

    @classmethod
    def parse(cls, text: str) -> NoticeKey:
        if match := _TARGET.fullmatch(text):
            return cls.for_target(match[1])
        match = _ASSIGNMENT.fullmatch(text)
        if match is None:
            raise ValueError(f"{text!r} is not a notice key")
        due = date.fromisoformat(match[2]) if match[2] else None
        return cls(Stage.parse(match[3]), int(match[4]), int(match[1]), due)

    @staticmethod
    def suffix(due: date | None, stage: Stage, cycle: int = 0) -> str:
        """What follows `a<id>` in the key of an assignment's notice (交办's has no due day)."""
        if stage == ASSIGNED:
            return f"/{ASSIGNED}/0"
        if due is None:
            raise ValueError(f"a {stage} notice's key names its due day")
        return f"/{due.isoformat()}/{stage}/{cycle}"

    def __str__(self) -> str:
        if self.target_id is not None:
            return f"t{self.target_id}/{TARGET_MISSED}/0"
        assert self.assignment_id is not None
        if self.due is None:
            return f"{ASSIGNMENT_PREFIX}{self.assignment_id}/{ASSIGNED}/0"
        return f"{ASSIGNMENT_PREFIX}{self.assignment_id}{self.suffix(self.due, self.stage, self.cycle)}"
