"""Who reads a desk page (SPEC §7): an address as the plan knows it, and its relation to an assignment.

Who supervises an assignment is the e-mails' rule (models/engine/rules.py supervising_offices): the desk shows
an office the items its e-mails ask it to 督促, no more and no fewer.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property

from models.desk.tokens import address
from models.engine import Mark, latest_marks, supervising_offices, unmet_standards
from models.plan import Item, Plan, Seat
from models.vocabulary import AssigneeKey

Marks = Mapping[str, Sequence[tuple[int, Mark]]]  # community → its assessments (standard, mark)


class Relation(StrEnum):
    """A reader's relation to an assignment, in the order 我的事项 groups them."""

    OWNER = "owner"
    SUPERVISOR = "supervisor"
    LEAD = "lead"

    @property
    def zh(self) -> str:
        return _CHINESE[self]


_CHINESE = {Relation.OWNER: "承办", Relation.SUPERVISOR: "督促", Relation.LEAD: "统筹督办"}


@dataclass(frozen=True)
class Reader:
    """An address and every place the plan gives it (Plan.people(), highest first); none for a stranger."""

    email: str
    seats: tuple[Seat, ...]

    @classmethod
    def of(cls, plan: Plan, email: str) -> Reader:
        who = address(email)
        return cls(email, tuple(seat for seat in plan.people() if address(seat.person.email) == who))

    @property
    def name(self) -> str:
        """The name the plan gives the address (the address itself when the plan has none)."""
        return self.seats[0].person.name if self.seats else self.email

    @property
    def greeting(self) -> str:
        """How 我的事项 names its reader: their unit and name, as in their highest place; a role name standing in
        for a person (社区发展办联络员) already names the unit."""
        if not self.seats:
            return "您好"
        unit, name = self.seats[0].unit_name, self.seats[0].person.name
        return name if name.startswith(unit) else f"{unit}{name}"

    @cached_property
    def offices(self) -> frozenset[str]:
        """The offices (ids) whose liaison or head the reader is."""
        return frozenset(s.unit.ref for s in self.seats if s.unit is not None and not s.unit.is_community)

    def owns(self, assignee: str) -> bool:
        """The assignee's contact, liaison or head."""
        return any(seat.unit == assignee for seat in self.seats)

    def relation(self, assignee: str, supervisors: Collection[str]) -> Relation | None:
        """Owner, one of the supervising offices (ids), or the leading group; owning comes first."""
        if self.owns(assignee):
            return Relation.OWNER
        if not self.offices.isdisjoint(supervisors):
            return Relation.SUPERVISOR
        if any(seat.unit is None for seat in self.seats):
            return Relation.LEAD
        return None


def supervisors_of(plan: Plan, item: Item | None, assignee: str, marks: Marks, day: date) -> list[str]:
    """The offices supervising one assignment on `day`: for a standards item, those of the areas of the standards
    its community has not met by then (as the e-mails); an item gone from the plan, the leading group office."""
    if item is None:
        return [plan.leading_group.office]
    if item.kind != "standards":
        return supervising_offices(plan, item, [])
    latest = latest_marks(marks.get(AssigneeKey(assignee).ref, []), day)
    return supervising_offices(plan, item, unmet_standards(plan.standards, latest))


def assessed_communities(plan: Plan, rows: Iterable[tuple[str, str]]) -> set[str]:
    """The communities whose assessments decide who supervises these (item id, assignee) rows."""
    standards = {item.id for _, item in plan.items() if item.kind == "standards"}
    return {AssigneeKey(assignee).ref for item_id, assignee in rows if item_id in standards}
