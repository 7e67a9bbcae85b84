"""The plan file (SPEC §1) as pydantic models: structure here, cross-checks in `models.plan_rules`."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo

from models.workcal import CalendarKind, WorkCalendar

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)  # a campaign's dates: anything outside is a typo
HIDDEN = frozenset("\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
STORED = {"stored": True}  # validation context of a plan read back from the database: checked when it was loaded


def _is_stored(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and info.context.get("stored") is True


def _text(text: str, info: ValidationInfo) -> str:
    return text if _is_stored(info) else _single_line(text)


def _single_line(text: str) -> str:
    if "\r" in text or "\n" in text:
        raise ValueError("must be one line (contains CR or LF)")
    for char in text:
        if char in HIDDEN or unicodedata.category(char) == "Cc":
            raise ValueError(f"must be one line of plain text (contains U+{ord(char):04X})")
    if not text.strip():
        raise ValueError("must not be empty")
    return text.strip()


def _email(text: str, info: ValidationInfo) -> str:
    if _is_stored(info):
        return text  # stored normalised when the plan was loaded; re-checking every address costs seconds
    _single_line(text)
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"not a valid e-mail address ({error})") from None


def _timezone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {text!r}") from None
    return text


def _clock(value: object) -> str:
    if isinstance(value, int):  # YAML 1.1 reads an unquoted 9:00 as 540 (base 60)
        raise ValueError('write the time quoted, e.g. "09:00"')
    if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError("expected a local time HH:MM")
    return value


def _due(value: object) -> date | str:
    """A full date, or a month-day (MM-DD) for a yearly item: one clear message either way."""
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if re.fullmatch(r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", text):
        return text
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD), nor a month-day (MM-DD) for a yearly item") from None


def _sane_day(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day} is outside the years {FIRST_DAY.year}–{LAST_DAY.year}")
    return day


def _sane_due(due: date | str) -> date | str:
    return _sane_day(due) if isinstance(due, date) else due


def _owner(text: str) -> str:
    if not re.fullmatch(r"communities|list:[A-Za-z0-9_.-]+|office:[A-Za-z0-9_.-]+", text):
        raise ValueError(f"{text!r} is not communities, list:<list id> or office:<office id>")
    return text


Name = Annotated[str, AfterValidator(_text)]
Email = Annotated[str, AfterValidator(_email)]
Ref = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Share = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
Day = Annotated[date, AfterValidator(_sane_day)]
Recipient = Literal["assignee", "assignee_head", "supervisors", "supervisor_heads", "leading_group_office", "leader"]


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
    timezone: Annotated[str, AfterValidator(_timezone)]
    run_at: Annotated[str, BeforeValidator(_clock)]
    calendar: CalendarKind
    end: Day
    source: Annotated[Source | None, BeforeValidator(_source)] = None
    sender: Name | None = None  # the organ in whose name notices go out
    mailbox: Email | None = None  # where reports are handed in, quoted where an item asks for it

    @property
    def run_time(self) -> time:
        return time.fromisoformat(self.run_at)


class Office(Node):
    id: Ref
    name: Name
    liaison: Person
    head: Person


class LeadingGroup(Node):
    office: Ref
    office_director: Person
    leader: Person


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


class Item(Node):
    id: Ref
    title: Name | None = None
    owner: Annotated[str, AfterValidator(_owner)]
    kind: Literal["task", "standards", "list"] = "task"
    due: Annotated[date | str, BeforeValidator(_due), AfterValidator(_sane_due)]
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

    @property
    def label(self) -> str:
        return self.title or self.id


class Phase(Node):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    name: Name
    start: Day
    end: Day
    items: list[Item] = []


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
    notify: list[Recipient] = ["assignee"]
    label: Name | None = None  # e.g. 提醒


class Stage(Node):
    after: Annotated[int, Field(ge=1)]
    notify: Annotated[list[Recipient], Field(min_length=1)]
    label: Name | None = None  # e.g. 催办, 督办, 报领导小组办公室, 报组长


class Assign(Node):
    """The 交办 notice on assignment: `[]` turns it off."""

    notify: list[Recipient] = ["assignee"]
    label: Name | None = None


class Escalation(Node):
    reminders: list[Reminder] = []
    ladder: list[Stage] = []
    repeat_every: Annotated[int, Field(ge=0)] = 0
    assign: Assign = Assign()


class CalendarOverrides(Node):
    holidays: list[Day] = []
    workdays: list[Day] = []


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

    def items(self) -> list[tuple[Phase, Item]]:
        return [(phase, item) for phase in self.phases for item in phase.items]

    def phase(self, phase_id: str) -> Phase:
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(f"no phase {phase_id!r} in the plan")
