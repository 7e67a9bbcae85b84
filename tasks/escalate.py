"""Escalate (SPEC §4): which notices are due today, stored once per (assignment, due day, stage, cycle)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlmodel import Session, col, select

from models import tables
from models.plan import Item, Plan, Recipient, Target
from models.rules import (
    Addressee,
    Mark,
    StageHit,
    TargetResult,
    addressees,
    item_supervisors,
    latest_marks,
    recipients,
    stage_due,
    unmet_standards,
)
from models.stages import Moved, effective_due
from models.targets import TargetInputs, target_result
from tasks.escalate_rows import (
    OpenWork,
    WorkRow,
    approved_moves,
    community_marks,
    due_groups,
    held_by_claims,
    lacking_handover,
    lacking_stage,
    rows_by_id,
    stored_keys,
)
from tasks.work import insert_ignoring_duplicates, list_members

Hits = dict[int, list[tuple[StageHit, date]]]  # assignment id → (stage hit, due day of its key)


def due_notices(session: Session, plan: Plan, phase_id: str, day: date) -> list[tables.Notice]:
    """The notices the rules call for on `day` that are not stored yet."""
    if day > plan.campaign.end or not plan.calendar().is_workday(day):
        return []
    return _assignment_notices(session, plan, phase_id, day) + _target_notices(session, plan, phase_id, day)


def escalate(session: Session, plan: Plan, phase_id: str, day: date, *, dry_run: bool) -> list[tables.Notice]:
    """Store today's new notices (a unique key per stage and cycle); dry_run only lists them."""
    new = due_notices(session, plan, phase_id, day)
    if not dry_run:
        rows = [n.model_dump(exclude={"id"}) for n in new]
        insert_ignoring_duplicates(session, tables.Notice, rows, ["campaign_id", "key"])
    return new


def _assignment_notices(session: Session, plan: Plan, phase_id: str, day: date) -> list[tables.Notice]:
    """Read only the assignments that lack a notice today; their notices in (occurrence, id) order."""
    items = {i.id: i for _, i in plan.items()}
    work = OpenWork(plan.campaign.id, phase_id, day)
    held = held_by_claims(session, plan.campaign.id, day)
    moves = approved_moves(session, plan.campaign.id)
    rows: dict[int, WorkRow] = {}
    hits: Hits = defaultdict(list)
    if plan.escalation.assign.notify:
        handover = StageHit("assigned", 0, tuple(plan.escalation.assign.notify), 0)
        for row in lacking_handover(session, work):
            rows[row.id] = row
            hits[row.id].append((handover, row.due))
    _stage_hits(session, plan, work, items, held, moves, rows, hits)
    _moved_hits(session, plan, work, items, held, moves, rows, hits)
    return _notices(session, plan, phase_id, day, items, rows, hits)


def _stage_hits(
    session: Session,
    plan: Plan,
    work: OpenWork,
    items: dict[str, Item],
    held: set[int],
    moves: dict[int, list[Moved]],
    rows: dict[int, WorkRow],
    hits: Hits,
) -> None:
    """The stage each (item, due day) reaches today, computed once; then only its assignments lacking it."""
    calendar = plan.calendar()
    reached: dict[tuple[str, date], StageHit] = {}
    for item_id, due in due_groups(session, work):
        item = items.get(item_id)
        hit = item and stage_due(
            due=due, day=work.day, calendar=calendar, escalation=plan.escalation, optional=item.optional
        )
        if hit:
            reached[(item_id, due)] = hit
    suffixes = {(item_id, due): _key_suffix(due, hit.stage, hit.cycle) for (item_id, due), hit in reached.items()}
    for row in lacking_stage(session, work, suffixes):
        if row.id not in held and row.id not in moves:  # an extended assignment's due day is worked out below
            rows[row.id] = row
            hits[row.id].append((reached[(row.item_id, row.due)], row.due))


def _moved_hits(
    session: Session,
    plan: Plan,
    work: OpenWork,
    items: dict[str, Item],
    held: set[int],
    moves: dict[int, list[Moved]],
    rows: dict[int, WorkRow],
    hits: Hits,
) -> None:
    """Assignments with approved extensions, one by one (they are few): 延期 and the stage of their due day."""
    found: list[tuple[WorkRow, StageHit, date]] = []
    for row in rows_by_id(session, work, moves):
        item = items.get(row.item_id)
        mine = moves[row.id]
        due = effective_due(row.due, mine, work.day)
        in_force = [m for m in mine if m.day <= work.day]
        if in_force:
            found.append((row, StageHit("extended", len(in_force), ("assignee",), 0), due))
        if item is not None and row.id not in held:
            hit = stage_due(
                due=due, day=work.day, calendar=plan.calendar(), escalation=plan.escalation, optional=item.optional
            )
            found += [(row, hit, due)] if hit else []
    stored = stored_keys(session, work.campaign_id, (notice_key(r.id, due, h.stage, h.cycle) for r, h, due in found))
    for row, hit, due in found:
        if notice_key(row.id, due, hit.stage, hit.cycle) not in stored:
            rows[row.id] = row
            hits[row.id].append((hit, due))


STAGE_ORDER = {"assigned": 0, "extended": 1}  # then the reminder or overdue stage, as SPEC §4 lists them


def _notices(
    session: Session, plan: Plan, phase_id: str, day: date, items: dict[str, Item], rows: dict[int, WorkRow], hits: Hits
) -> list[tables.Notice]:
    standards = {r.assignee.partition(":")[2] for r in rows.values() if _kind(items, r.item_id) == "standards"}
    people_of = _People(plan, day, community_marks(session, plan.campaign.id, standards) if standards else {})
    notices = []
    for assignment_id in sorted(hits, key=lambda i: (rows[i].occurrence, i)):
        row, item = rows[assignment_id], items.get(rows[assignment_id].item_id)
        if item is None or row.assignee not in people_of.addressees:
            continue  # removed from the plan: history stays, no more notices
        for hit, due in sorted(hits[assignment_id], key=lambda h: STAGE_ORDER.get(h[0].stage, 2)):
            people = people_of(item, row.assignee, hit.notify)
            if people:
                notices.append(_notice(plan, phase_id, day, row, hit, people, due))
    return notices


def _kind(items: dict[str, Item], item_id: str) -> str | None:
    item = items.get(item_id)
    return item.kind if item else None


class _People:
    """Who a notice goes to: addressees indexed once, people memoised per (item, assignee, roles) for one run."""

    def __init__(self, plan: Plan, day: date, marks: dict[str, list[tuple[int, Mark]]]) -> None:
        self.plan, self.day, self.marks = plan, day, marks
        self.addressees: dict[str, Addressee] = addressees(plan)
        self.memo: dict[tuple[str, str, tuple[Recipient, ...]], dict[str, tuple[str, str]]] = {}

    def __call__(self, item: Item, assignee: str, notify: tuple[Recipient, ...]) -> dict[str, tuple[str, str]]:
        key = (item.id, assignee, notify)
        if key not in self.memo:
            who = self.addressees[assignee]
            self.memo[key] = recipients(self.plan, notify, who, self._supervisors(item, assignee))
        return self.memo[key]

    def _supervisors(self, item: Item, assignee: str) -> list[str]:
        if item.kind != "standards":
            return item_supervisors(self.plan, item, [])
        community = assignee.partition(":")[2]
        unmet = unmet_standards(self.plan.standards, latest_marks(self.marks.get(community, []), self.day))
        return item_supervisors(self.plan, item, unmet)


def _key_suffix(due: date, stage: str, cycle: int) -> str:
    return f"/{due.isoformat()}/{stage}/{cycle}"


def notice_key(assignment_id: int | None, due: date, stage: str, cycle: int) -> str:
    """Once per (assignment, due day, stage, cycle); 交办 once per assignment whatever its due day."""
    if stage == "assigned":
        return f"a{assignment_id}/assigned/0"
    return f"a{assignment_id}{_key_suffix(due, stage, cycle)}"


def _notice(
    plan: Plan,
    phase_id: str,
    day: date,
    assignment: WorkRow,
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
    # skipping reported targets spares their evaluation every day; only notices of targets carry a target_id
    n = tables.Notice
    sent = set(
        session.exec(
            select(n.target_id).where(n.campaign_id == plan.campaign.id, col(n.target_id).is_not(None)).distinct()
        )
    )
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
    stored = stored_keys(session, plan.campaign.id, (n.key for n in notices))
    return [n for n in notices if n.key not in stored]


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
