"""Digests (SPEC §4): a run's notices grouped per recipient and worded for their role; pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple, Protocol

from models.engine import TargetResult, labels_of
from models.mail.render import Digest, NoticeLine, Person
from models.mail.wording import (
    Facts,
    Gap,
    basis_text,
    citation,
    cn_date,
    due_rows,
    gap_text,
    lead,
    percent,
    salutation,
    sender,
    target_title,
)
from models.materials import materials_text
from models.plan import Item, Plan
from models.vocabulary import TARGET_MISSED, Level, Role, Stage, UnitKind, address_key, keys_of, ref_of


@dataclass(frozen=True)
class NoticeFacts:
    """What the lines need beyond the notices: due days, gaps per community, targets and who falls short."""

    dues: dict[int, date]
    unmet: dict[str, list[Gap]]
    targets: dict[str, TargetResult]
    shortfall: dict[str, list[str]] = field(default_factory=dict)  # target → communities on its list short
    previous_dues: dict[int, date] = field(default_factory=dict)  # assignment → due day before its extension


class NoticeView(Protocol):
    """What the wording reads of a notice: a stored row (NoticeView, StoredNotice) or one only listed."""

    @property
    def id(self) -> int | None: ...
    @property
    def key(self) -> str: ...
    @property
    def item_id(self) -> str: ...
    @property
    def assignee(self) -> str | None: ...
    @property
    def assignment_id(self) -> int | None: ...
    @property
    def target_id(self) -> str | None: ...
    @property
    def stage(self) -> str: ...
    @property
    def cycle(self) -> int: ...
    @property
    def recipients(self) -> list[str]: ...
    @property
    def roles(self) -> dict[str, list[str]]: ...
    @property
    def overdue_days(self) -> int: ...
    @property
    def due(self) -> date | None: ...


class StoredNotice(NamedTuple):
    """A notice as compose reads it back: the columns the wording needs, without an ORM object's cost."""

    id: int | None
    key: str
    item_id: str
    assignee: str | None
    assignment_id: int | None
    target_id: str | None
    stage: str
    cycle: int
    recipients: list[str]
    roles: dict[str, list[str]]
    overdue_days: int
    due: date | None


def build_digests(
    plan: Plan, phase_id: str, day: date, notices: Iterable[NoticeView], facts: NoticeFacts
) -> list[Digest]:
    """One digest per recipient address of a run's notices (pure: used by dry runs too)."""
    return list(digests_of(plan, phase_id, day, notices, facts))


def digests_of(
    plan: Plan, phase_id: str, day: date, notices: Iterable[NoticeView], facts: NoticeFacts
) -> Iterator[Digest]:
    """build_digests one recipient at a time, in address order: a large run never holds every e-mail."""
    by_recipient: dict[str, list[NoticeView]] = defaultdict(list)
    for notice in notices:
        for address in notice.recipients:
            by_recipient[address].append(notice)
    phase = plan.phase(phase_id)
    people = _people(plan)
    lines_of = _Lines(plan, facts)
    for address, mine in sorted(by_recipient.items()):
        name = mine[0].roles[address][1]
        title, given = people.get(address_key(address), (None, None))
        lines = tuple(lines_of(n, n.roles[address][0]) for n in mine)
        # The key names the notices, not the run's day: the same notices can only ever make the same e-mail.
        key = f"{plan.campaign.id}/{phase_id}/{address}/" + ",".join(n.key for n in mine)
        yield (
            Digest(
                plan.campaign.id,
                plan.campaign.name,
                phase_id,
                phase.name,
                day,
                Person(name, address),
                lines,
                key,
                salutation=salutation(name, title, given),
                opening=_opening(plan, lines),
                sender=sender(plan),
                citation=citation(plan),
                reply_to=plan.campaign.mailbox,
            )
        )


def _opening(plan: Plan, lines: tuple[NoticeLine, ...]) -> str:
    """根据《…》工作安排，现将…通知如下 — or 呈报如下 when the reader oversees the whole campaign."""
    up = all(line.reason in (Role.LEADING_GROUP_OFFICE.reader, Role.LEADER.reader) for line in lines)
    return f"根据{citation(plan)}工作安排，现将{plan.campaign.name}有关事项{'呈报' if up else '通知'}如下"


def _people(plan: Plan) -> dict[str, tuple[str | None, str | None]]:
    """address (address_key) → (title, salutation) of the highest person in the plan with a title there."""
    found: dict[str, tuple[str | None, str | None]] = {}
    for seat in plan.people():
        address = address_key(seat.person.email)
        if found.get(address, (None, None)) == (None, None):
            found[address] = (seat.person.title, seat.person.salutation)
    return found


def notice_due(notice: NoticeView, dues: dict[int, date]) -> date | None:
    """The due day the notice was decided on (stored with it), else the assignment's (a 交办 stored before
    migration 0008 kept none)."""
    return notice.due or dues.get(notice.assignment_id or 0)


class _Lines:
    """Each notice's line for a reader's role, with what the plan says about its item and assignee looked up once.

    Lines are not kept: a run of 100,000 notices would hold every line until its last e-mail is written."""

    def __init__(self, plan: Plan, facts: NoticeFacts) -> None:
        self.plan, self.facts = plan, facts
        self.items = {i.id: i for _, i in plan.items()}
        self.labels = labels_of(plan)
        self.contacts: dict[str, str] = {
            s.unit: s.person.name for s in plan.people() if s.unit and s.role is Role.ASSIGNEE
        }
        self.stages: dict[str, _StageWords] = {}

    def __call__(self, notice: NoticeView, role: str) -> NoticeLine:
        words = self.stages.get(notice.stage) or self._words(notice.stage)
        if words.stage == TARGET_MISSED:
            return _target_line(self.plan, notice, Role(role), self.labels, self.facts, words)
        assignee = notice.assignee or ""
        return _line(self.plan, notice, Role(role), self.items[notice.item_id], self.labels.get(assignee, ""),
                     self.contacts.get(assignee, ""), self.facts, words)  # fmt: skip

    def _words(self, name: str) -> _StageWords:
        """A stored stage's label and level in this plan: one the plan no longer has reads as 督办, never a crash."""
        stage = Stage.parse(name)
        escalation = self.plan.escalation
        self.stages[name] = _StageWords(stage, stage.label(escalation), stage.level(escalation))
        return self.stages[name]


class _StageWords(NamedTuple):
    stage: Stage
    label: str
    level: Level


def _line(
    plan: Plan,
    notice: NoticeView,
    role: Role,
    item: Item,
    who: str,
    contact: str,
    facts: NoticeFacts,
    words: _StageWords,
) -> NoticeLine:
    assignee = notice.assignee or ""
    due = notice_due(notice, facts.dues)
    f = Facts(
        words.stage,
        words.label,
        notice.cycle,
        role,
        assignee,
        who,
        contact,
        due,
        facts.previous_dues.get(notice.assignment_id or 0),
        notice.overdue_days,
        item.kind,
        item.optional,
    )
    return NoticeLine(
        item.id,
        item.label,
        who,
        notice.stage,
        notice.cycle,
        words.level,
        due,
        notice.overdue_days,
        words.label,
        lead(f),
        _details(plan, item, f, facts.unmet.get(ref_of(assignee), [])),
        role.reader,
        assignment_id=notice.assignment_id,
        role=str(role),
    )


def _details(plan: Plan, item: Item, f: Facts, gaps: list[Gap]) -> tuple[tuple[str, str], ...]:
    rows: list[tuple[str, str]] = [("责任单位", f.who)]
    if f.role is Role.ASSIGNEE:
        rows.append(("工作要求", item.requirement or item.label))
    rows += due_rows(item, f.due)
    if item.kind == "standards" and gaps:
        rows.append(("尚未达到的创建标准", "；".join(gap_text(g, with_text=True) for g in gaps)))
    if f.role is Role.ASSIGNEE:
        if item.submit_to:
            rows.append(("报送方式", item.submit_to.replace("{mailbox}", plan.campaign.mailbox or "")))
        if item.materials:
            rows.append(("报送材料", materials_text(item)))  # SPEC §8: uploaded with 申报办结
        if (report := _report_to(plan, f)) and f.kind == "task":
            rows.append(("办结后报告", report))
    rows.append(("依据", basis_text(plan, item)))
    return tuple(rows)


def _report_to(plan: Plan, f: Facts) -> str:
    director = plan.leading_group.office_director
    office = next((o.name for o in plan.offices if o.id == plan.leading_group.office), "")
    call = salutation(director.name, director.title, director.salutation)
    return f"请将办理情况报领导小组办公室（设在{office}，{call}）" if office else f"请报{call}"


def _target_line(
    plan: Plan, notice: NoticeView, role: Role, labels: dict[str, str], facts: NoticeFacts, words: _StageWords
) -> NoticeLine:
    target = next(t for t in plan.targets if t.id == notice.item_id)
    result = facts.targets[target.id]
    total = len(plan.communities)
    name = target_title(target)
    achieved = percent(result.achieved / total) if total else "0%"
    text = (
        f"按计划，截至{cn_date(target.by)}全街道应有{percent(target.min_share)}以上的社区"
        f"（共{total}个社区，至少{result.required}个）达到创建要求，实际达到{result.achieved}个（{achieved}），"
        "目标未达成。呈阅，请协调督办。"
    )
    rows = [("目标日期", f"{cn_date(target.by)}前")]
    short = facts.shortfall.get(target.id, [])
    rows.append(("名单内未达标社区", f"{len(short)}个" if short else "名单内暂无社区"))
    for community, key in zip(short, keys_of(UnitKind.COMMUNITY, short), strict=True):
        gaps = facts.unmet.get(community, [])
        rows.append(
            (labels.get(key, community), "；".join(gap_text(g, with_text=False) for g in gaps) or "相关事项尚未办结")
        )
    basis = str(getattr(target, "basis", "") or "")
    where = citation(plan) + str(getattr(target, "section", "") or "")
    rows.append(("依据", f"{where}：“{basis}”" if basis else where))
    return NoticeLine(
        target.id, name, "全街道", notice.stage, 0, "escalated", target.by, 0,
        words.label, text, tuple(rows), role.reader,
    )  # fmt: skip
