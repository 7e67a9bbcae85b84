"""Escalate (SPEC §4): which notices are due today, stored once per (assignment, due day, stage, cycle)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlmodel import Session, col, select

from models import tables
from models.plan import Plan, Target
from models.rules import (
    StageHit,
    TargetResult,
    addressee,
    item_supervisors,
    latest_marks,
    recipients,
    stage_due,
    unmet_standards,
)
from models.stages import Moved, effective_due
from models.targets import TargetInputs, target_result
from tasks.work import (
    assessment_marks,
    insert_ignoring_duplicates,
    list_members,
    open_assignments,
)


def due_notices(session: Session, plan: Plan, phase_id: str, day: date) -> list[tables.Notice]:
    """Every notice the rules call for on `day` (stored or not yet)."""
    if day > plan.campaign.end or not plan.calendar().is_workday(day):
        return []
    return _assignment_notices(session, plan, phase_id, day) + _target_notices(session, plan, phase_id, day)


def escalate(session: Session, plan: Plan, phase_id: str, day: date, *, dry_run: bool) -> list[tables.Notice]:
    """Store today's new notices (a unique key per stage and cycle); dry_run only lists them."""
    candidates = due_notices(session, plan, phase_id, day)
    keys = [n.key for n in candidates]
    stored = set(
        session.exec(
            select(tables.Notice.key).where(
                tables.Notice.campaign_id == plan.campaign.id, col(tables.Notice.key).in_(keys)
            )
        )
    )
    new = [n for n in candidates if n.key not in stored]
    if not dry_run:
        rows = [n.model_dump(exclude={"id"}) for n in new]
        insert_ignoring_duplicates(session, tables.Notice, rows, ["campaign_id", "key"])
    return new


def _assignment_notices(session: Session, plan: Plan, phase_id: str, day: date) -> list[tables.Notice]:
    items = {i.id: i for _, i in plan.items()}
    known = {f"community:{c.id}" for c in plan.communities} | {f"office:{o.id}" for o in plan.offices}
    marks = assessment_marks(session, plan.campaign.id)
    calendar = plan.calendar()
    work = open_assignments(session, plan.campaign.id, phase_id, day)
    held = held_by_claims(session, [a.id for a in work if a.id is not None], day)
    moves = approved_moves(session, [a.id for a in work if a.id is not None])
    notices = []
    for assignment in work:
        item = items.get(assignment.item_id)
        if item is None or assignment.assignee not in known:
            continue  # removed from the plan: history stays, no more notices
        mine = moves.get(assignment.id or 0, [])
        due = effective_due(assignment.due, mine, day)
        hits = _handover_hits(plan, assignment, mine, day)
        if assignment.id not in held:
            hit = stage_due(due=due, day=day, calendar=calendar, escalation=plan.escalation, optional=item.optional)
            hits += [hit] if hit else []
        if not hits:
            continue
        community = assignment.assignee.partition(":")[2]
        unmet = unmet_standards(plan.standards, latest_marks(marks.get(community, []), day))
        supervisors = item_supervisors(plan, item, unmet)
        for hit in hits:
            people = recipients(plan, hit.notify, addressee(plan, assignment.assignee), supervisors)
            if people:
                notices.append(_notice(plan, phase_id, day, assignment, hit, people, due))
    return notices


def _handover_hits(plan: Plan, assignment: tables.Assignment, moves: list[Moved], day: date) -> list[StageHit]:
    """交办 once per assignment, and 延期 for the latest extension in force (SPEC §4)."""
    hits = []
    if plan.escalation.assign.notify:
        hits.append(StageHit("assigned", 0, tuple(plan.escalation.assign.notify), 0))
    in_force = [m for m in moves if m.day <= day]
    if in_force:
        hits.append(StageHit("extended", len(in_force), ("assignee",), 0))
    return hits


def held_by_claims(session: Session, ids: list[int], day: date) -> set[int]:
    """Assignments with a claim pending on `day`: no reminder or overdue notice while it waits."""
    rows = session.exec(select(tables.Claim).where(col(tables.Claim.assignment_id).in_(ids), tables.Claim.day <= day))
    return {c.assignment_id for c in rows if c.status == "pending" or (c.decided_on is not None and c.decided_on > day)}


def approved_moves(session: Session, ids: list[int]) -> dict[int, list[Moved]]:
    """Approved extensions of these assignments, oldest first."""
    rows = session.exec(
        select(tables.Extension)
        .where(col(tables.Extension.assignment_id).in_(ids), tables.Extension.status == "approved")
        .order_by(col(tables.Extension.day), col(tables.Extension.id))
    )
    moves: dict[int, list[Moved]] = defaultdict(list)
    for row in rows:
        moves[row.assignment_id].append(Moved(row.day, row.previous_due, row.new_due))
    return moves


def notice_key(assignment_id: int | None, due: date, stage: str, cycle: int) -> str:
    """Once per (assignment, due day, stage, cycle); 交办 once per assignment whatever its due day."""
    if stage == "assigned":
        return f"a{assignment_id}/assigned/0"
    return f"a{assignment_id}/{due.isoformat()}/{stage}/{cycle}"


def _notice(
    plan: Plan,
    phase_id: str,
    day: date,
    assignment: tables.Assignment,
    hit: StageHit,
    people: dict[str, tuple[str, str]],
    due: date,
) -> tables.Notice:
    return tables.Notice(
        campaign_id=plan.campaign.id,
        key=notice_key(assignment.id, due, hit.stage, hit.cycle),
        phase_id=phase_id,
        day=day,
        item_id=assignment.item_id,
        assignee=assignment.assignee,
        assignment_id=assignment.id,
        stage=hit.stage,
        cycle=hit.cycle,
        recipients=sorted(people),
        overdue_days=hit.overdue_days,
        roles={email: [role, name] for email, (role, name) in people.items()},
    )


def _target_notices(session: Session, plan: Plan, phase_id: str, day: date) -> list[tables.Notice]:
    phase = plan.phase(phase_id)
    calendar = plan.calendar()
    # escalate() drops stored keys anyway; skipping reported targets here spares their evaluation every day
    sent = set(session.exec(select(tables.Notice.target_id).where(tables.Notice.campaign_id == plan.campaign.id)))
    due = [
        t
        for t in plan.targets
        if phase.start <= t.by <= phase.end and calendar.next_workday_after(t.by) <= day and t.id not in sent
    ]
    notices = []
    for target in due:
        result = evaluate_target(session, plan, target)
        if result.met:
            continue
        people = recipients(plan, ["leading_group_office", "leader"], None, [])
        notices.append(
            tables.Notice(
                campaign_id=plan.campaign.id,
                key=f"t{target.id}/target-missed/0",
                phase_id=phase_id,
                day=day,
                item_id=target.id,
                assignee=None,
                target_id=target.id,
                stage="target-missed",
                cycle=0,
                recipients=sorted(people),
                roles={e: [role, name] for e, (role, name) in people.items()},
            )
        )
    return notices


def target_inputs(session: Session, plan: Plan) -> TargetInputs:
    standards_items = [i.id for _, i in plan.items() if i.kind == "standards"]
    work = session.exec(
        select(tables.Assignment).where(
            tables.Assignment.campaign_id == plan.campaign.id, col(tables.Assignment.item_id).in_(standards_items)
        )
    )
    return TargetInputs(list_members(session, plan.campaign.id), list(work))


def evaluate_target(session: Session, plan: Plan, target: Target, day: date | None = None) -> TargetResult:
    """The target on its `by` day, or on `day`."""
    return target_result(plan, target, target_inputs(session, plan), day or target.by)
