"""Where the campaign stands on a day: one typed value for `status`, the artifacts and the weekly report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

from models import tables
from models.engine import Mark, TargetResult, is_met, labels_of, latest_marks
from models.intake import Triage
from models.mail import cn_date
from models.plan import Item, Plan
from models.vocabulary import AssigneeKey, UnitKind, kind_of, ref_of

Mark3 = Literal["met", "unmet", "none"]


class AssignmentRow(Protocol):
    """The columns of an assignment the standing reads: an ORM row or a plain result row."""

    @property
    def id(self) -> int | None: ...
    @property
    def item_id(self) -> str: ...
    @property
    def assignee(self) -> str: ...
    @property
    def due(self) -> date: ...
    @property
    def assigned_on(self) -> date: ...
    @property
    def completed_on(self) -> date | None: ...


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
    assignment: int = 0
    answer: str = ""  # what the desk holds for it: 签收, a claim or extension awaiting a decision


@dataclass(frozen=True)
class Answer:
    """What recipients answered from the desk for one open assignment."""

    assignment: int
    item: str
    title: str
    assignee: str
    name: str
    acknowledged: int  # how many recipients signed for it
    claim_since: date | None  # a claim awaiting confirmation, filed that day
    extension_to: date | None  # an extension request awaiting approval, to that day

    @property
    def text(self) -> str:
        return answer_text(self.acknowledged, self.claim_since, self.extension_to)


def answer_text(acknowledged: int, claim_since: date | None, extension_to: date | None) -> str:
    """签收 2 人；办结申报待审核；申请延期至2022年2月11日待审核 — what the tables' column shows."""
    parts = [f"已签收{acknowledged}人" if acknowledged > 1 else "已签收"] if acknowledged else []
    if claim_since:
        parts.append(f"{cn_date(claim_since)}申报办结，待审核")
    if extension_to:
        parts.append(f"申请延期至{cn_date(extension_to)}，待审核")
    return "；".join(parts)


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
    answers: list[Answer] = field(default_factory=list)  # what was answered from the desk
    triage: list[Triage] = field(default_factory=list)  # messages of the campaign mailbox waiting for a person

    def to_json(self) -> dict[str, Any]:
        return dict(jsonable(asdict(self)))


def jsonable(value: Any) -> Any:
    """Dates as YYYY-MM-DD, all the way down (for --json and the simulation report)."""
    if isinstance(value, dict):
        return {key: jsonable(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [jsonable(inner) for inner in value]
    return value.isoformat() if isinstance(value, date) else value


def counts(rows: Iterable[AssignmentRow], day: date) -> Counts:
    rows = list(rows)
    done = sum(1 for a in rows if a.completed_on is not None and a.completed_on <= day)
    return Counts(len(rows), done, len(rows) - done)


def overdue(plan: Plan, rows: Iterable[AssignmentRow], day: date) -> list[Overdue]:
    """Open assignments past due on `day` (optional items never are), most overdue first."""
    lines = LateLines(plan, day)
    late = []
    for a in rows:
        still_open = a.completed_on is None or a.completed_on > day
        days = lines.overdue_days(a.item_id, a.due) if still_open and a.assigned_on <= day else 0
        if days > 0:
            late.append(lines.line(a, days))
    return sorted(late, key=lambda x: (-x.overdue_days, x.item))


class LateLines:
    """Overdue lines of a plan on a day: its calendar, labels and items looked up once."""

    def __init__(self, plan: Plan, day: date) -> None:
        self.plan, self.day = plan, day
        self.calendar, self.labels = plan.calendar(), labels_of(plan)
        self.items = {i.id: i for _, i in plan.items()}

    def overdue_days(self, item_id: str, due: date) -> int:
        """Working days an open assignment due on `due` is overdue on the day; 0 if it is not (optional items)."""
        item = self.items.get(item_id)
        if due >= self.day or (item is not None and item.optional):
            return 0
        return self.calendar.workdays_after(due, self.day)

    def line(self, a: AssignmentRow, days: int) -> Overdue:
        item = self.items.get(a.item_id)
        office = self.labels.get(AssigneeKey.office(responsible_office(self.plan, item, a.assignee)), "")
        title = item.label if item else a.item_id
        name = self.labels.get(a.assignee, a.assignee)
        return Overdue(a.item_id, title, a.assignee, name, office, a.due, days, a.id or 0)


def responsible_office(plan: Plan, item: Item | None, assignee: str) -> str:
    """The office an overdue item is chased by: its owner if an office, else its first supervisor."""
    if kind_of(assignee) is UnitKind.OFFICE:
        return ref_of(assignee)
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
        if kind_of(late.assignee) is UnitKind.COMMUNITY:
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
