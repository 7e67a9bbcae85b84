"""The rules of SPEC §2-§4 as plain functions over plain data: no database, no clock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from math import ceil

from models.plan import Community, Escalation, Item, Office, Plan, Standard, WorkCalendar, yearly_dues
from models.vocabulary import AssigneeKey, Role, Stage, UnitKind


@dataclass(frozen=True)
class StageHit:
    """A stage that is due today for one assignment."""

    stage: Stage
    cycle: int
    notify: tuple[Role, ...]
    overdue_days: int


def stage_due(
    *, due: date, day: date, calendar: WorkCalendar, escalation: Escalation, optional: bool
) -> StageHit | None:
    """The one stage to send on `day` for an open assignment due on `due`, if any (SPEC §4)."""
    if not calendar.is_workday(day):
        return None
    if day <= due:
        for reminder in escalation.reminders:
            if calendar.workday_before(due, reminder.before) == day:
                return StageHit(Stage.remind(reminder.before), 0, tuple(reminder.notify), 0)
        return None
    if optional:
        return None
    return _overdue_stage(calendar.workdays_after(due, day), escalation)


def _overdue_stage(overdue_days: int, escalation: Escalation) -> StageHit | None:
    reached = [i for i, stage in enumerate(escalation.ladder) if overdue_days >= stage.after]
    if not reached:
        return None
    index = reached[-1]
    stage = escalation.ladder[index]
    cycle = 0
    if index == len(escalation.ladder) - 1 and escalation.repeat_every > 0:
        cycle = (overdue_days - stage.after) // escalation.repeat_every
    return StageHit(Stage.overdue(index), cycle, tuple(stage.notify), overdue_days)


def required_count(min_share: float, total: int) -> int:
    """Communities needed for a share: exact arithmetic, so 0.30 of 10 is 3, not 4."""
    return ceil(Fraction(str(min_share)) * total)


@dataclass(frozen=True)
class Mark:
    """One assessment: day, order recorded, value."""

    day: date
    seq: int
    value: str


def is_met(standard: Standard, value: str) -> bool:
    """'met', or for a measured standard a number at or above its minimum."""
    if value in ("met", "unmet"):
        return value == "met"
    if standard.measure is None:
        return False
    return float(value) >= standard.measure.min


def latest_marks(marks: Iterable[tuple[int, Mark]], day: date) -> dict[int, Mark]:
    """The latest assessment of each standard up to `day` (later day, then later record, wins)."""
    latest: dict[int, Mark] = {}
    for standard_id, mark in marks:
        if mark.day <= day:
            current = latest.get(standard_id)
            if current is None or (mark.day, mark.seq) > (current.day, current.seq):
                latest[standard_id] = mark
    return latest


def unmet_standards(standards: Sequence[Standard], latest: dict[int, Mark]) -> list[Standard]:
    return [s for s in standards if s.id not in latest or not is_met(s, latest[s.id].value)]


def standards_completed_on(standards: Sequence[Standard], latest: dict[int, Mark], assigned_on: date) -> date | None:
    """The day every standard became met (the last assessment that made it so), not before assignment."""
    if not standards or unmet_standards(standards, latest):
        return None
    return max(max(latest[s.id].day for s in standards), assigned_on)


def share_reached_on(member_since: Iterable[date], min_share: float, total: int) -> date | None:
    """The first day a list holds at least `min_share` of `total` communities."""
    needed = required_count(min_share, total)
    days = sorted(member_since)
    if total == 0 or needed > len(days):
        return None
    return days[max(needed, 1) - 1]


@dataclass(frozen=True)
class TargetResult:
    id: str
    by: date
    required: int
    achieved: int

    @property
    def met(self) -> bool:
        return self.achieved >= self.required


def list_closure(plan: Plan, list_id: str) -> set[str]:
    """A list and every list it includes, transitively."""
    by_id = {named.id: named for named in plan.lists}
    found, todo = {list_id}, [list_id]
    while todo:
        for child in by_id[todo.pop()].includes:
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def office_recipients(plan: Plan, office_ids: Iterable[str], *, heads: bool) -> list[tuple[str, str]]:
    """(email, name) of each office's liaison, or its head."""
    offices = {o.id: o for o in plan.offices}
    people = [offices[o].head if heads else offices[o].liaison for o in office_ids if o in offices]
    return [(p.email, p.name) for p in people]


def area_offices(plan: Plan, standards: Iterable[Standard]) -> list[str]:
    """Offices that drive the areas of these standards, in plan order, once each."""
    areas = {s.area for s in standards}
    ordered: list[str] = []
    for area in plan.areas:
        if area.id in areas:
            ordered += [o for o in area.offices if o not in ordered]
    return ordered


def supervising_offices(plan: Plan, item: Item, unmet: Sequence[Standard]) -> list[str]:
    """A standards item is supervised by the offices of its unmet areas; others by their list."""
    if item.kind == "standards":
        return area_offices(plan, unmet)
    return list(item.supervisors or [plan.leading_group.office])


@dataclass(frozen=True)
class Addressee:
    """Who an assignment belongs to (a community or an office) and its two people."""

    key: AssigneeKey
    label: str
    contact: tuple[str, str]  # (email, name)
    head: tuple[str, str]


def addressee(plan: Plan, key: str) -> Addressee:
    who = AssigneeKey.parse(key)
    if who.kind is UnitKind.COMMUNITY:
        return _community_addressee(next(c for c in plan.communities if c.id == who.ref))
    return _office_addressee(next(o for o in plan.offices if o.id == who.ref))


def addressees(plan: Plan) -> dict[str, Addressee]:
    """Every assignee key of the plan → its Addressee: built once, so a run looks each one up in O(1)."""
    found = [_community_addressee(c) for c in plan.communities] + [_office_addressee(o) for o in plan.offices]
    return {who.key: who for who in found}


def _community_addressee(c: Community) -> Addressee:
    key = AssigneeKey.community(c.id)
    return Addressee(key, c.name, (c.contact.email, c.contact.name), (c.head.email, c.head.name))


def _office_addressee(o: Office) -> Addressee:
    key = AssigneeKey.office(o.id)
    return Addressee(key, o.name, (o.liaison.email, o.liaison.name), (o.head.email, o.head.name))


def recipients(
    plan: Plan, notify: Iterable[Role], who: Addressee | None, supervisors: Sequence[str]
) -> dict[str, tuple[Role, str]]:
    """email → (role, name) for every role a stage notifies; a person holding several gets the highest."""
    people: dict[str, tuple[Role, str]] = {}
    for role in notify:
        for email, name in _people(plan, role, who, supervisors):
            if role.outranks(people[email][0] if email in people else None):
                people[email] = (role, name)
    return dict(sorted(people.items()))


def _people(plan: Plan, role: Role, who: Addressee | None, supervisors: Sequence[str]) -> list[tuple[str, str]]:
    lead = plan.leading_group
    # An office does not supervise its own item: its people are told as the ones who do it.
    own = who.key.ref if who and who.key.kind is UnitKind.OFFICE else None
    supervisors = [office for office in supervisors if office != own]
    match role:
        case Role.ASSIGNEE:
            return [who.contact] if who else []
        case Role.ASSIGNEE_HEAD:
            return [who.head] if who else []
        case Role.SUPERVISORS:
            return office_recipients(plan, supervisors, heads=False)
        case Role.SUPERVISOR_HEADS:
            return office_recipients(plan, supervisors, heads=True)
        case Role.LEADING_GROUP_OFFICE:
            return [(lead.office_director.email, lead.office_director.name)]
        case Role.LEADER:
            return [(lead.leader.email, lead.leader.name)]


def due_of(item: Item, occurrence: int) -> date:
    """An assignment's due day: the item's date, or for a yearly item its month-day in that year."""
    if isinstance(item.due, date):
        return item.due
    if item.due is None:
        raise ValueError(f"{item.id} has no due day (a submission item is never assigned)")
    month, day = (int(part) for part in item.due.split("-"))
    return date(occurrence, month, day)


def occurrences(plan: Plan, item: Item, day: date) -> list[int]:
    """Occurrences assignable on `day`: 0 for a one-off item; for a yearly one, each year so far."""
    if not item.yearly:
        return [0]
    return [due.year for due in yearly_dues(plan, item) if due.year <= day.year]


def labels_of(plan: Plan) -> dict[str, str]:
    """assignee key → its name, for e-mails and reports."""
    return {seat.unit: seat.unit_name for seat in plan.people() if seat.unit is not None}
