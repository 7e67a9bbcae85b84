"""Assign (SPEC §2): one batched read and write, and none on a day that changes nothing; completion checks
live in `tasks.engine.completion`."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date
from typing import TypedDict

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import tables
from models.engine.membership import Members, owners
from models.engine.rules import due_of, occurrences
from models.plan import Phase, Plan
from models.vocabulary import OwnerKind
from tasks.db import dialect_insert, insert_ignoring_duplicates


def list_members(session: Session, campaign_id: str) -> Members:
    """list id → {community id: day it joined}."""
    members: dict[str, dict[str, date]] = defaultdict(dict)
    for row in session.exec(select(tables.ListMember).where(tables.ListMember.campaign_id == campaign_id)):
        members[row.list_id][row.community_id] = row.since
    return members


def assign(session: Session, plan: Plan, phase_id: str, day: date) -> int:
    """Create the missing assignments of a phase for `day` if it lies in the phase window.

    The rows follow from the plan, the lists' members and the year alone: when none of these changed since
    a run that left every row of the phase in place (same count, same newest id; tables.AssignState), nothing
    is read or built. The state is written in the run's transaction: a run rolled back leaves no trace."""
    phase = plan.phase(phase_id)
    if not phase.start <= day <= min(phase.end, plan.campaign.end):
        return 0
    inputs = hashlib.sha256(repr(_assign_inputs(session, plan, phase, day)).encode()).hexdigest()
    state = session.get(tables.AssignState, (plan.campaign.id, phase_id))
    if state and (state.inputs, (state.rows, state.newest)) == (inputs, _rows_of(session, plan.campaign.id, phase)):
        return 0
    inserted = _create_missing(session, plan, phase, day)
    rows, newest = _rows_of(session, plan.campaign.id, phase)
    state_now = {"inputs": inputs, "rows": rows, "newest": newest}
    upsert = dialect_insert(session, tables.AssignState).values(
        campaign_id=plan.campaign.id, phase_id=phase_id, **state_now
    )
    # two runs at once both get here: the later one's state stands (they are the same)
    session.connection().execute(
        upsert.on_conflict_do_update(index_elements=["campaign_id", "phase_id"], set_=state_now)
    )
    return inserted


def _assign_inputs(session: Session, plan: Plan, phase: Phase, day: date) -> tuple[object, ...]:
    """Everything the phase's rows depend on (compared whole, not hashed); list members only if a list owns an item."""
    members: tuple[int, int | None] = (0, None)
    if any(item.owned_by.kind is OwnerKind.LIST for item in phase.duties):
        row = session.exec(
            select(func.count(), func.max(tables.ListMember.id)).where(
                tables.ListMember.campaign_id == plan.campaign.id, tables.ListMember.since <= day
            )
        ).one()  # members are only ever added, with their first day kept: count and newest id tell a change
        members = (row[0], row[1])
    return (
        phase.model_dump_json(),
        tuple(named.model_dump_json() for named in plan.lists),
        tuple(c.id for c in plan.communities),
        tuple(tuple(occurrences(plan, item, day)) for item in phase.duties),
        members,
    )


def _rows_of(session: Session, campaign_id: str, phase: Phase) -> tuple[int, int | None]:
    """How many assignments the phase's items have and the newest id (covered by the unique index)."""
    row = session.exec(
        select(func.count(), func.max(tables.Assignment.id)).where(
            tables.Assignment.campaign_id == campaign_id,
            col(tables.Assignment.item_id).in_([item.id for item in phase.duties]),
        )
    ).one()
    return (row[0], row[1])


class NewAssignment(TypedDict):
    """An assignment's columns but its id and completion, as assign inserts them (executemany)."""

    campaign_id: str
    item_id: str
    phase_id: str
    assignee: str
    occurrence: int
    due: date
    assigned_on: date


def _create_missing(session: Session, plan: Plan, phase: Phase, day: date) -> int:
    cid = plan.campaign.id
    members = list_members(session, cid)
    rows: list[NewAssignment] = [
        {
            "campaign_id": cid,
            "item_id": item.id,
            "phase_id": phase.id,
            "assignee": who,
            "occurrence": occ,
            "due": due_of(item, occ),
            "assigned_on": day,
        }
        for item in phase.duties
        for who in owners(plan, item, members, day)
        for occ in occurrences(plan, item, day)
    ]
    existing = set(
        session.exec(
            select(tables.Assignment.item_id, tables.Assignment.assignee, tables.Assignment.occurrence).where(
                tables.Assignment.campaign_id == cid, tables.Assignment.phase_id == phase.id
            )
        )
    )
    rows = [r for r in rows if (r["item_id"], r["assignee"], r["occurrence"]) not in existing]
    return insert_ignoring_duplicates(
        session, tables.Assignment, rows, ["campaign_id", "item_id", "assignee", "occurrence"]
    )
