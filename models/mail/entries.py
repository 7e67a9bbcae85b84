"""A digest's entries: one per notice, except that a supervising reader gets one item's overdue units as one entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from models.mail.wording import cn_date, group_lead
from models.vocabulary import Role, Stage, StageKind


class NoticeLine(Protocol):
    """What an entry reads of a digest's line (models.mail.render.NoticeLine)."""

    @property
    def item_id(self) -> str: ...
    @property
    def item_title(self) -> str: ...
    @property
    def assignee_label(self) -> str: ...
    @property
    def stage(self) -> str: ...
    @property
    def cycle(self) -> int: ...
    @property
    def due(self) -> date | None: ...
    @property
    def overdue_days(self) -> int: ...
    @property
    def stage_label(self) -> str: ...
    @property
    def lead(self) -> str: ...
    @property
    def details(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def role(self) -> str: ...
    @property
    def links(self) -> tuple[tuple[str, str], ...]: ...


SUPERVISING = frozenset({Role.SUPERVISORS, Role.SUPERVISOR_HEADS, Role.LEADING_GROUP_OFFICE, Role.LEADER})
PER_UNIT = ("责任单位", "完成时限")  # rows each unit has its own of; the others are the item's


@dataclass(frozen=True)
class Entry:
    """One numbered heading of a digest: the item once, then (when merged) each unit with its days overdue."""

    stage_label: str
    item_title: str
    lead: str
    details: tuple[tuple[str, str], ...]
    links: tuple[tuple[str, str], ...] = ()
    units: tuple[str, ...] = ()  # 示例社区07：已逾期25个工作日, longest first
    notices: int = 1


def entries(lines: Sequence[NoticeLine]) -> list[Entry]:
    """The lines in order, one item's overdue lines for a supervising reader merged at the first one's place."""
    merged: dict[tuple[str, str, str], list[NoticeLine]] = {}
    for line in lines:
        merged.setdefault(_key(line, len(merged)), []).append(line)
    return [_entry(group) for group in merged.values()]


def _key(line: NoticeLine, unique: int) -> tuple[str, str, str]:
    if line.role in SUPERVISING and Stage.parse(line.stage).kind is StageKind.OVERDUE:
        return (line.item_id, line.stage_label, line.role)
    return (str(unique), "", "")  # a line of its own


def _entry(group: list[NoticeLine]) -> Entry:
    first = group[0]
    if len(group) == 1:
        return Entry(first.stage_label, first.item_title, first.lead, first.details, first.links)
    shared = [row for row in first.details if row[0] not in PER_UNIT and all(row in g.details for g in group)]
    same_due = len({g.due for g in group}) == 1
    if same_due and first.due is not None:
        shared.insert(0, ("完成时限", f"{cn_date(first.due)}前（含当日）"))
    units = [_unit(g, shared, same_due) for g in sorted(group, key=lambda g: (-g.overdue_days, g.assignee_label))]
    lead = group_lead(Role(first.role), len(group))
    return Entry(first.stage_label, first.item_title, lead, tuple(shared), units=tuple(units), notices=len(group))


def _unit(line: NoticeLine, shared: list[tuple[str, str]], same_due: bool) -> str:
    """示例社区07：已逾期25个工作日（第2次报组长）, with what is this unit's own (its due day, its gaps)."""
    text = f"{line.assignee_label}：已逾期{line.overdue_days}个工作日"
    if line.cycle:
        text += f"（第{line.cycle + 1}次{line.stage_label}）"
    if not same_due and line.due is not None:
        text += f"，应于{cn_date(line.due)}前完成"
    own = [f"{label}：{text}" for label, text in line.details if label not in PER_UNIT and (label, text) not in shared]
    return "；".join([text, *own])
