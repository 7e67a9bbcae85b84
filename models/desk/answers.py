"""What recipients answered from the desk, per open assignment: 签收, a claim or an extension awaiting a decision."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from models.engine import labels_of
from models.plan import Plan
from models.reports import Answer, AssignmentRow, Overdue


def answers(
    plan: Plan,
    rows: Iterable[AssignmentRow],
    day: date,
    *,
    acknowledged: dict[int, int],
    claims: dict[int, date],
    extensions: dict[int, date],
) -> list[Answer]:
    """Open assignments with any answer, by due day."""
    titles, labels = {i.id: i.label for _, i in plan.items()}, labels_of(plan)
    found = []
    for a in sorted(rows, key=lambda r: (r.due, r.id or 0)):
        still_open = a.completed_on is None or a.completed_on > day
        if a.id is None or not still_open or not (a.id in acknowledged or a.id in claims or a.id in extensions):
            continue
        title, name = titles.get(a.item_id, a.item_id), labels.get(a.assignee, a.assignee)
        waiting = (acknowledged.get(a.id, 0), claims.get(a.id), extensions.get(a.id))
        found.append(Answer(a.id, a.item_id, title, a.assignee, name, *waiting))
    return found


def with_answers(overdue: list[Overdue], found: list[Answer]) -> list[Overdue]:
    """Each overdue line with its answer text (the overdue tables' 办理情况 column)."""
    texts = {a.assignment: a.text for a in found}
    return [replace(late, answer=texts.get(late.assignment, "")) for late in overdue]
