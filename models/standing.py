"""Where the campaign stands on a day: one typed value for `status`, the artifacts and the weekly report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

from models import tables
from models.plan import Item, Plan
from models.rules import Mark, TargetResult, is_met, labels_of, latest_marks

Mark3 = Literal["met", "unmet", "none"]
TargetState = Literal["met", "missed", "open"]
TARGET_LABELS: dict[TargetState, str] = {"met": "达成", "missed": "未达成", "open": "进行中"}


@dataclass(frozen=True)
class Counts:
    total: int
    completed: int
    open: int


@dataclass(frozen=True)
class Overdue:
    """An open assignment past its due day, with the office that chases it."""

    item: str
    title: str
    assignee: str
    name: str
    office: str
    due: date
    overdue_days: int


@dataclass(frozen=True)
class TargetLine:
    """A target on its day, or where it stands before it (state 'open')."""

    id: str
    by: date
    required: int
    achieved: int
    met: bool
    state: TargetState
    label: str


@dataclass(frozen=True)
class DeadLetter:
    """An e-mail given up on (a permanent refusal, or too many runs failing): resent with `greencomm resend`."""

    day: date
    phase: str
    to: str
    message_id: str
    error: str


def dead_letter(row: tables.Outbox) -> DeadLetter:
    return DeadLetter(row.day, row.phase_id, row.recipient, row.message_id, row.last_error or "")


@dataclass(frozen=True)
class Standing:
    campaign: str
    as_of: date
    assignments: Counts
    overdue: list[Overdue]
    targets: list[TargetLine]
    standards: dict[str, dict[str, Mark3]]  # community id → {standard id: met | unmet | none}
    undeliverable: list[DeadLetter]

    def to_json(self) -> dict[str, Any]:
        return dict(jsonable(asdict(self)))


def jsonable(value: Any) -> Any:
    """Dates as YYYY-MM-DD, all the way down (for --json and the simulation report)."""
    if isinstance(value, dict):
        return {key: jsonable(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [jsonable(inner) for inner in value]
    return value.isoformat() if isinstance(value, date) else value


def counts(rows: Iterable[tables.Assignment], day: date) -> Counts:
    rows = list(rows)
    done = sum(1 for a in rows if a.completed_on is not None and a.completed_on <= day)
    return Counts(len(rows), done, len(rows) - done)


def overdue(plan: Plan, rows: Iterable[tables.Assignment], day: date) -> list[Overdue]:
    """Open assignments past due on `day` (optional items never are), most overdue first."""
    calendar, labels = plan.calendar(), labels_of(plan)
    items = {i.id: i for _, i in plan.items()}
    late = []
    for a in rows:
        item = items.get(a.item_id)
        still_open = a.completed_on is None or a.completed_on > day
        if not still_open or a.due >= day or a.assigned_on > day or (item is not None and item.optional):
            continue
        days = calendar.workdays_after(a.due, day)
        if days > 0:
            office = labels.get(f"office:{responsible_office(plan, item, a.assignee)}", "")
            title = item.label if item else a.item_id
            late.append(Overdue(a.item_id, title, a.assignee, labels.get(a.assignee, a.assignee), office, a.due, days))
    return sorted(late, key=lambda x: (-x.overdue_days, x.item))


def responsible_office(plan: Plan, item: Item | None, assignee: str) -> str:
    """The office an overdue item is chased by: its owner if an office, else its first supervisor."""
    if assignee.startswith("office:"):
        return assignee.partition(":")[2]
    supervisors = (item.supervisors if item else None) or [plan.leading_group.office]
    return supervisors[0]


@dataclass(frozen=True)
class CommunityLateness:
    name: str
    count: int
    longest: int


def overdue_by_community(overdue: Iterable[Overdue]) -> list[CommunityLateness]:
    """Per community: how many items are overdue and the longest delay, worst first."""
    grouped: dict[str, list[int]] = {}
    for late in overdue:
        if late.assignee.startswith("community:"):
            grouped.setdefault(late.name, []).append(late.overdue_days)
    rows = [CommunityLateness(name, len(days), max(days)) for name, days in grouped.items()]
    return sorted(rows, key=lambda r: (-r.longest, r.name))


def target_line(result: TargetResult, on: date) -> TargetLine:
    state: TargetState = "met" if result.met else ("open" if on < result.by else "missed")
    return TargetLine(result.id, result.by, result.required, result.achieved, result.met, state, TARGET_LABELS[state])


def standards_matrix(plan: Plan, marks: dict[str, list[tuple[int, Mark]]], day: date) -> dict[str, dict[str, Mark3]]:
    """community id → {standard id: met | unmet | none} from the latest assessments up to `day`."""
    matrix: dict[str, dict[str, Mark3]] = {}
    for community in plan.communities:
        latest = latest_marks(marks.get(community.id, []), day)
        matrix[community.id] = {
            str(s.id): _mark(s.id in latest and is_met(s, latest[s.id].value), s.id in latest) for s in plan.standards
        }
    return matrix


def _mark(met: bool, assessed: bool) -> Mark3:
    return "met" if met else "unmet" if assessed else "none"
