"""The plan file (SPEC §1) as pydantic models: structure here, cross-checks in `models.plan.checks`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Annotated, Literal, NamedTuple

import pendulum
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from models.plan.fields import (
    Day,
    Email,
    Name,
    Ref,
    Share,
    clock_time,
    due_day,
    owner_text,
    sane_due,
    timezone_name,
)
from models.plan.workcal import CalendarKind, WorkCalendar
from models.vocabulary import AssigneeKey, Owner, Role


class Node(BaseModel):
    """Every section allows fields beyond the contract's (SPEC: 'more are allowed')."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, str_strip_whitespace=True)


class Person(Node):
    name: Name
    email: Email
    title: Name | None = None  # 职务, e.g. 社区发展办副主任、领导小组办公室主任
    salutation: Name | None = None  # how a notice addresses them, e.g. 黄珑副主任 (else derived from title)


class Source(Node):
    """The document the campaign carries out, cited in every notice as 《title》（number）."""

    title: Name
    number: Name | None = None


def _source(value: object) -> object:
    return {"title": value} if isinstance(value, str) else value


class Campaign(Node):
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    name: Name
    timezone: Annotated[str, AfterValidator(timezone_name)]
    run_at: Annotated[str, BeforeValidator(clock_time)]
    calendar: CalendarKind
    end: Day
    source: Annotated[Source | None, BeforeValidator(_source)] = None
    sender: Name | None = None  # the organ in whose name notices go out
    mailbox: Email | None = None  # where reports are handed in, quoted where an item asks for it

    @property
    def run_time(self) -> time:
        return time.fromisoformat(self.run_at)

    def at(self, day: date, clock: time | None = None) -> datetime:
        """The campaign's local moment on `day` at `clock` (its run time unless given)."""
        clock = clock or self.run_time
        return pendulum.datetime(day.year, day.month, day.day, clock.hour, clock.minute, tz=self.timezone)

    def local(self, moment: datetime) -> datetime:
        """`moment` on the campaign's clock."""
        return pendulum.instance(moment).in_timezone(self.timezone)


class Office(Node):
    id: Ref
    name: Name
    liaison: Person
    head: Person


class LeadingGroup(Node):
    office: Ref
    office_director: Person
    leader: Person
    approvers: list[Person] = []  # more people of the office who may decide extensions (SPEC §7)


class Community(Node):
    id: Ref
    name: Name
    contact: Person
    head: Person


class Area(Node):
    id: int
    name: Name
    offices: list[Ref]


class Measure(Node):
    min: Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]  # a share (≤ 1) or a count


class Standard(Node):
    id: int
    area: int
    text: Name
    measure: Measure | None = None


MaterialKind = Literal["pdf", "ofd", "word", "sheet", "image", "archive"]  # SPEC §8, each known by its content


class Material(Node):
    """报送材料: one thing a claim on the item hands in, e.g. 盖章扫描PDF版 [pdf] (SPEC §8)."""

    label: Name
    kinds: Annotated[list[MaterialKind], Field(min_length=1)]
    required: bool = True


class Item(Node):
    id: Ref
    title: Name | None = None
    owner: Annotated[str, AfterValidator(owner_text)]
    kind: Literal["task", "standards", "list", "submission"] = "task"
    due: Annotated[date | str | None, BeforeValidator(due_day), AfterValidator(sane_due)] = None  # none: submission
    basis: str = ""
    assumed: bool = False
    assumption: str = ""  # why an assumed due day was chosen
    requirement: str = ""  # 工作要求: what exactly to hand in or do (else the title)
    submit_to: Name | None = None  # 报送方式: where and in what form
    section: Name | None = None  # the source's section, e.g. 四（一）2
    optional: bool = False
    yearly: bool = False
    supervisors: list[Ref] | None = None
    list_id: Ref | None = Field(default=None, alias="list")
    min_share: Share | None = None
    materials: list[Material] = []  # SPEC §8: what a claim (or a submission) hands in
    keyword: Name | None = None  # a submission item: the word that marks it in a mail's subject (SPEC §9)

    @property
    def is_submission(self) -> bool:
        """亮点信息 and the like: handed in as often as units like; no due day, no assignment, no escalation."""
        return self.kind == "submission"

    @property
    def label(self) -> str:
        return self.title or self.id

    @property
    def owned_by(self) -> Owner:
        return Owner.parse(self.owner)


class Phase(Node):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    name: Name
    start: Day
    end: Day
    items: list[Item] = []

    @property
    def duties(self) -> list[Item]:
        """The items the engine assigns and escalates: every one but the submission items."""
        return [item for item in self.items if not item.is_submission]


class NamedList(Node):
    id: Ref
    name: Name | None = None
    includes: list[Ref] = []


class Target(Node):
    id: Ref
    name: Name | None = None  # how notices name the target
    list_id: Ref = Field(alias="list")
    min_share: Share
    by: Day


class Reminder(Node):
    before: Annotated[int, Field(ge=0)]
    notify: list[Role] = [Role.ASSIGNEE]
    label: Name | None = None  # e.g. 提醒


class Stage(Node):
    after: Annotated[int, Field(ge=1)]
    notify: Annotated[list[Role], Field(min_length=1)]
    label: Name | None = None  # e.g. 催办, 督办, 报领导小组办公室, 报组长


class Assign(Node):
    """The 交办 notice on assignment: `[]` turns it off."""

    notify: list[Role] = [Role.ASSIGNEE]
    label: Name | None = None


class Escalation(Node):
    reminders: list[Reminder] = []
    ladder: list[Stage] = []
    repeat_every: Annotated[int, Field(ge=0)] = 0
    assign: Assign = Assign()


class CalendarOverrides(Node):
    holidays: list[Day] = []
    workdays: list[Day] = []


class Seat(NamedTuple):
    """One person in one place of the plan: the unit they act for (None for the leading group's people), its
    name, and their role there (a contact or liaison is the assignee; a head, the assignee's head)."""

    person: Person
    unit: AssigneeKey | None
    unit_name: str
    role: Role


class Plan(Node):
    campaign: Campaign
    offices: list[Office]
    leading_group: LeadingGroup
    communities: list[Community] = []
    areas: list[Area]
    standards: list[Standard]
    phases: Annotated[list[Phase], Field(min_length=1)]
    lists: list[NamedList] = []
    targets: list[Target] = []
    escalation: Escalation = Escalation()
    calendar_overrides: CalendarOverrides = CalendarOverrides()

    @property
    def start(self) -> date:
        return self.phases[0].start

    def calendar(self) -> WorkCalendar:
        """The plan's working days (years China's calendar lacks fall back to weekdays: rehearsals)."""
        return WorkCalendar(
            self.campaign.calendar,
            frozenset(self.calendar_overrides.holidays),
            frozenset(self.calendar_overrides.workdays),
        )

    def people(self) -> Iterator[Seat]:
        """Every person of the plan, once per place they hold, highest first: the leader, the leading group
        office (its director, then its approvers), each office's head and liaison, each community's head and
        contact. One person may hold several places (the same address twice)."""
        lead = self.leading_group
        yield Seat(lead.leader, None, "领导小组", Role.LEADER)
        for person in (lead.office_director, *lead.approvers):
            yield Seat(person, None, "领导小组办公室", Role.LEADING_GROUP_OFFICE)
        for office in self.offices:
            key = AssigneeKey.office(office.id)
            yield Seat(office.head, key, office.name, Role.ASSIGNEE_HEAD)
            yield Seat(office.liaison, key, office.name, Role.ASSIGNEE)
        for community in self.communities:
            key = AssigneeKey.community(community.id)
            yield Seat(community.head, key, community.name, Role.ASSIGNEE_HEAD)
            yield Seat(community.contact, key, community.name, Role.ASSIGNEE)

    def items(self) -> list[tuple[Phase, Item]]:
        """The duties of every phase (submission items, which are never assigned, are `submissions()`)."""
        return [(phase, item) for phase in self.phases for item in phase.duties]

    def submissions(self) -> list[tuple[Phase, Item]]:
        """The submission items (亮点信息), handed in at any time (SPEC §8)."""
        return [(phase, item) for phase in self.phases for item in phase.items if item.is_submission]

    def phase(self, phase_id: str) -> Phase:
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(f"no phase {phase_id!r} in the plan")
