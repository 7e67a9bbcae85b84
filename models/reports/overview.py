"""What a phase run shows a supervisor, bounded for a province-sized campaign.

Each of the run's tables (standards matrix, notices, overdue work, undeliverable e-mails) lists at most
TABLE_ROWS rows, those a supervisor must act on first: the communities with the most standards unmet, the
highest notice stages, the longest overdue work, the oldest dead letters. When rows are left out, a last row
says in plain Chinese how many and where the full list is (the exported workbook). Counts stay exact. A
table that fits shows every row in its usual order, as before the bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from models.reports.standing import Counts, DeadLetter, Mark3, Overdue, TargetLine
from models.vocabulary import Stage, StageKind

TABLE_ROWS = 500  # a table's rows: 500 matrix rows are ~0.4 MB, well within Prefect's event size

T = TypeVar("T")


@dataclass(frozen=True)
class Shown(Generic[T]):
    """A table's first rows and how many there are in all."""

    rows: list[T]
    total: int

    @property
    def left_out(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True)
class Overview:
    """Where the campaign stands, as a phase run publishes it: exact counts, bounded lists."""

    campaign: str
    as_of: date
    assignments: Counts
    overdue: Shown[Overdue]  # the longest overdue, then by item
    targets: list[TargetLine]
    standards: dict[str, dict[str, Mark3]]  # every community, in plan order
    undeliverable: Shown[DeadLetter]  # the oldest


def stage_rank(name: str, cycle: int) -> tuple[int, int, int]:
    """Higher is more pressing: a missed target, then the overdue stages from the top of the ladder (a later
    cycle first), then reminders closest to the due day, then 延期 and 交办."""
    stage = Stage.parse(name)
    match stage.kind:
        case StageKind.TARGET_MISSED:
            return (3, 0, cycle)
        case StageKind.OVERDUE:
            return (2, stage.number, cycle)
        case StageKind.REMIND:
            return (1, -stage.number, cycle)
    return (0, 0, cycle)


def worst_first(matrix: dict[str, dict[str, Mark3]]) -> list[str]:
    """Communities with the most standards unmet first, then the most not yet assessed, else in plan order."""
    order = {community: index for index, community in enumerate(matrix)}

    def key(community: str) -> tuple[int, int, int]:
        marks = list(matrix[community].values())
        return (-marks.count("unmet"), -marks.count("none"), order[community])

    return sorted(matrix, key=key)


LEFT_OUT = {
    "standards": "以上为未达标标准最多的{shown}个社区；另有{more}个社区未列出，全部社区见导出工作簿“社区×16项标准”表。",
    "notices": "以上为督办级别最高的{shown}条通知；另有{more}条未列出，全部通知见导出工作簿“已发通知”表。",
    "overdue": "以上为逾期时间最长的{shown}项；另有{more}项逾期事项未列出，全部事项见导出工作簿“任务清单”表。",
    "undeliverable": "以上为最早的{shown}封；另有{more}封未列出，请系统管理员查看全部并重新发送。",
}


def left_out_line(table: str, shown: int, more: int) -> str:
    """The last row of a bounded table: how many rows are left out and where they all are."""
    return LEFT_OUT[table].format(shown=shown, more=more)
