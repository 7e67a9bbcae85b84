"""Target arithmetic (SPEC §2): listed communities that completed every standards item by a day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from models import tables
from models.engine.membership import Members, members_on
from models.engine.rules import TargetResult, required_count
from models.plan import Plan, Target
from models.vocabulary import ref_of


@dataclass(frozen=True)
class TargetInputs:
    """What target arithmetic reads, loaded once: list memberships and the standards assignments."""

    members: Members
    standards_work: list[tables.Assignment]


def _finished(inputs: TargetInputs, day: date) -> dict[str, bool]:
    """community → completed every standards item addressed to it by `day` (True when none was)."""
    finished: dict[str, bool] = defaultdict(lambda: True)
    for row in inputs.standards_work:
        if row.assigned_on <= day:
            finished[ref_of(row.assignee)] &= row.completed_on is not None and row.completed_on <= day
    return finished


def target_result(plan: Plan, target: Target, inputs: TargetInputs, day: date) -> TargetResult:
    """On `day`: listed communities that completed every standards item addressed to them by then."""
    members, finished = members_on(plan, inputs.members, target.list_id, day), _finished(inputs, day)
    achieved = sum(1 for c in plan.communities if c.id in members and finished[c.id])
    return TargetResult(target.id, target.by, required_count(target.min_share, len(plan.communities)), achieved)


def target_shortfall(plan: Plan, target: Target, inputs: TargetInputs, day: date) -> list[str]:
    """Communities on the target's list on `day` that have not completed every standards item by then."""
    members, finished = members_on(plan, inputs.members, target.list_id, day), _finished(inputs, day)
    return [c.id for c in plan.communities if c.id in members and not finished[c.id]]
