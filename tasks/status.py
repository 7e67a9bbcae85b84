"""Where the campaign stands on a day: open and overdue work, targets, the standards matrix."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from models import tables
from models.plan import Item, Plan
from models.rules import is_met, labels_of, latest_marks
from tasks.delivery import dead_letter_rows
from tasks.report import targets_report
from tasks.work import assessment_marks


def overdue_items(session: Session, plan: Plan, day: date) -> list[dict[str, Any]]:
    """Open assignments past due on `day`, most overdue first, with their owner's name."""
    calendar, labels = plan.calendar(), labels_of(plan)
    items = {i.id: i for _, i in plan.items()}
    optional = {i.id for i in items.values() if i.optional}
    rows = session.exec(select(tables.Assignment).where(tables.Assignment.campaign_id == plan.campaign.id))
    late: list[dict[str, Any]] = [
        {
            "item": a.item_id,
            "title": items[a.item_id].label if a.item_id in items else a.item_id,
            "assignee": a.assignee,
            "name": labels.get(a.assignee, a.assignee),
            "office": labels.get(f"office:{responsible_office(plan, items.get(a.item_id), a.assignee)}", ""),
            "due": a.due.isoformat(),
            "overdue_days": calendar.workdays_after(a.due, day),
        }
        for a in rows
        if (a.completed_on is None or a.completed_on > day)
        and a.due < day
        and a.item_id not in optional
        and a.assigned_on <= day
    ]
    return sorted((x for x in late if x["overdue_days"] > 0), key=lambda x: (-x["overdue_days"], x["item"]))


def responsible_office(plan: Plan, item: Item | None, assignee: str) -> str:
    """The office an overdue item is chased by: its owner if an office, else its first supervisor."""
    if assignee.startswith("office:"):
        return assignee.partition(":")[2]
    supervisors = (item.supervisors if item else None) or [plan.leading_group.office]
    return supervisors[0]


def standards_matrix(session: Session, plan: Plan, day: date) -> dict[str, dict[str, str]]:
    """community id → {standard id: met | unmet | none} from the latest assessments up to `day`."""
    marks = assessment_marks(session, plan.campaign.id)
    matrix = {}
    for community in plan.communities:
        latest = latest_marks(marks.get(community.id, []), day)
        matrix[community.id] = {
            str(s.id): ("none" if s.id not in latest else "met" if is_met(s, latest[s.id].value) else "unmet")
            for s in plan.standards
        }
    return matrix


def assignment_counts(session: Session, plan: Plan, day: date) -> dict[str, int]:
    rows = list(session.exec(select(tables.Assignment).where(tables.Assignment.campaign_id == plan.campaign.id)))
    done = sum(1 for a in rows if a.completed_on is not None and a.completed_on <= day)
    return {"total": len(rows), "completed": done, "open": len(rows) - done}


def status(session: Session, plan: Plan, day: date) -> dict[str, Any]:
    return {
        "campaign": plan.campaign.id,
        "as_of": day.isoformat(),
        "assignments": assignment_counts(session, plan, day),
        "overdue": overdue_items(session, plan, day),
        "targets": targets_report(session, plan, day),
        "standards": standards_matrix(session, plan, day),
        "undeliverable": dead_letter_rows(session, plan.campaign.id),
    }
