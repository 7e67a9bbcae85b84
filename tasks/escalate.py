"""Escalate (SPEC §4): which notices are due today, stored once per (assignment, due day, stage, cycle)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

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
from models.stages import effective_due
from models.targets import TargetInputs, target_result
from tasks.completion import assessment_marks
from tasks.escalate_rows import (
    OpenWork,
    WorkRow,
    approved_moves,
    due_groups,
    held_by_claims,
    lacking_handover,
    lacking_stage,
    rows_by_id,
    store_notices,
    stored_keys,
)
from tasks.work import list_members

Hits = dict[int, list[tuple[StageHit, date]]]  # assignment id → (stage hit, due day of its key)
NoticeRow = dict[str, Any]  # a notice's columns but its id


def due_notices(session: Session, plan: Plan, phase_id: str, day: date) -> list[NoticeRow]:
    """The notices the rules call for on `day` that are not stored yet."""
    if day > plan.campaign.end or not plan.calendar().is_workday(day):
        return []
    return _Today(session, plan, phase_id, day).notices() + _target_notices(session, plan, phase_id, day)


def store_due_notices(session: Session, plan: Plan, phase_id: str, day: date) -> int:
    """The run's escalate step: store today's new notices and say how many (no notice objects built)."""
    new = due_notices(session, plan, phase_id, day)
    store_notices(session, new)
    return len(new)


def escalate(session: Session, plan: Plan, phase_id: str, day: date, *, dry_run: bool) -> list[tables.Notice]:
    """Store today's new notices (a unique key per stage and cycle); dry_run only lists them.

    They come back as plain values, not attached to a session (they are stored with one statement): a tenth of
    the mapped constructor's cost, which counts at 100,000 notices a day."""
    new = due_notices(session, plan, phase_id, day)
    if not dry_run:
        store_notices(session, new)
    return [tables.Notice.model_construct(**row) for row in new]


class _Today:
    """One day's assignment notices. Only assignments that lack one are read: those without their 交办, those
    whose (item, due day) reaches a stage not yet noticed, and those with approved extensions (few)."""

    def __init__(self, session: Session, plan: Plan, phase_id: str, day: date) -> None:
        self.session, self.plan, self.phase_id, self.day = session, plan, phase_id, day
        self.items = {i.id: i for _, i in plan.items()}
        self.work = OpenWork(plan.campaign.id, phase_id, day)
        self.held = held_by_claims(session, plan.campaign.id, day)
        self.moves = approved_moves(session, plan.campaign.id)
        self.rows: dict[int, WorkRow] = {}
        self.hits: Hits = defaultdict(list)

    def notices(self) -> list[NoticeRow]:
        self._handovers()
        self._stages()
        self._moved()
        return self._notices()

    def _add(self, row: WorkRow, hit: StageHit, due: date) -> None:
        self.rows[row.id] = row
        self.hits[row.id].append((hit, due))

    def _handovers(self) -> None:
        """交办 once per assignment, whatever its due day."""
        if self.plan.escalation.assign.notify:
            handover = StageHit("assigned", 0, tuple(self.plan.escalation.assign.notify), 0)
            for row in lacking_handover(self.session, self.work):
                self._add(row, handover, row.due)

    def _stages(self) -> None:
        """The stage each (item, due day) reaches today, computed once; then only its assignments lacking it.
        An extended assignment's due day may differ from its row's: _moved() works it out."""
        reached = {}
        for item_id, due in due_groups(self.session, self.work):
            item = self.items.get(item_id)
            hit = self._stage(item, due) if item else None
            if hit:
                reached[(item_id, due)] = hit
        suffixes = {group: _key_suffix(group[1], hit.stage, hit.cycle) for group, hit in reached.items()}
        for row in lacking_stage(self.session, self.work, suffixes):
            if row.id not in self.held and row.id not in self.moves:
                self._add(row, reached[(row.item_id, row.due)], row.due)

    def _moved(self) -> None:
        """延期 for the latest extension in force, and the stage of the due day in force today (SPEC §4)."""
        found: list[tuple[WorkRow, StageHit, date]] = []
        for row in rows_by_id(self.session, self.work, self.moves):
            item, mine = self.items.get(row.item_id), self.moves[row.id]
            due = effective_due(row.due, mine, self.day)
            in_force = [m for m in mine if m.day <= self.day]
            if in_force:
                found.append((row, StageHit("extended", len(in_force), ("assignee",), 0), due))
            hit = self._stage(item, due) if item and row.id not in self.held else None
            found += [(row, hit, due)] if hit else []
        keys = [notice_key(row.id, due, hit.stage, hit.cycle) for row, hit, due in found]
        stored = stored_keys(self.session, self.work.campaign_id, keys)
        for (row, hit, due), key in zip(found, keys, strict=True):
            if key not in stored:
                self._add(row, hit, due)

    def _stage(self, item: Item, due: date) -> StageHit | None:
        escalation, calendar = self.plan.escalation, self.plan.calendar()
        return stage_due(due=due, day=self.day, calendar=calendar, escalation=escalation, optional=item.optional)

    def _notices(self) -> list[NoticeRow]:
        """In (occurrence, id) order, each assignment's 交办, 延期, then its reminder or overdue stage."""
        standards = {r.assignee for r in self.rows.values() if _kind(self.items, r.item_id) == "standards"}
        communities = {assignee.partition(":")[2] for assignee in standards}
        marks = assessment_marks(self.session, self.plan.campaign.id, communities) if communities else {}
        people_of = _People(self.plan, self.day, marks)
        notices = []
        for assignment_id in sorted(self.hits, key=lambda i: (self.rows[i].occurrence, i)):
            row, item = self.rows[assignment_id], self.items.get(self.rows[assignment_id].item_id)
            if item is None or row.assignee not in people_of.addressees:
                continue  # removed from the plan: history stays, no more notices
            for hit, due in sorted(self.hits[assignment_id], key=lambda h: STAGE_ORDER.get(h[0].stage, 2)):
                people = people_of(item, row.assignee, hit.notify)
                if people:
                    notices.append(_notice(self.plan, self.phase_id, self.day, row, hit, people, due))
        return notices


STAGE_ORDER = {"assigned": 0, "extended": 1}  # then the reminder or overdue stage


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
) -> NoticeRow:
    return _notice_row(
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


def _notice_row(**fields: Any) -> NoticeRow:
    return {"target_id": None, "assignment_id": None, "overdue_days": 0, "outbox_done": False} | fields


def _target_notices(session: Session, plan: Plan, phase_id: str, day: date) -> list[NoticeRow]:
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
    inputs = target_inputs(session, plan) if due else None  # read once for every target due today
    notices = []
    for target in due:
        if inputs is None or target_result(plan, target, inputs, target.by).met:
            continue
        people = recipients(plan, ["leading_group_office", "leader"], None, [])
        notices.append(
            _notice_row(
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
    stored = stored_keys(session, plan.campaign.id, (n["key"] for n in notices))
    return [n for n in notices if n["key"] not in stored]


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
