"""Target arithmetic (SPEC §2): listed communities that completed every standards item by a day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from models import tables
from models.membership import Members, members_on
from models.plan import Plan, Target
from models.rules import TargetResult, required_count


@dataclass(frozen=True)
class TargetInputs:
    """What target arithmetic reads, loaded once: list memberships and the standards assignments."""

    members: Members
    standards_work: list[tables.Assignment]


def target_result(plan: Plan, target: Target, inputs: TargetInputs, day: date) -> TargetResult:
    """On `day`: listed communities that completed every standards item addressed to them by then."""
    members = members_on(plan, inputs.members, target.list_id, day)
    finished: dict[str, bool] = defaultdict(lambda: True)
    for row in inputs.standards_work:
        if row.assigned_on <= day:
            community = row.assignee.partition(":")[2]
            finished[community] &= row.completed_on is not None and row.completed_on <= day
    known = {c.id for c in plan.communities}
    achieved = sum(1 for c in members if c in known and finished[c])
    return TargetResult(target.id, target.by, required_count(target.min_share, len(plan.communities)), achieved)
