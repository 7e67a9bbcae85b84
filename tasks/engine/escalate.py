"""Escalate (SPEC §4): which notices are due today, stored once per (assignment, due day, stage, cycle)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlmodel import Session, col, select

from models import tables
from models.engine.rules import (
    Addressee,
    Mark,
    StageHit,
    TargetResult,
    addressees,
    latest_marks,
    recipients,
    stage_due,
    supervising_offices,
    unmet_standards,
)
from models.engine.stages import effective_due
from models.engine.targets import TargetInputs, target_result
from models.plan import Item, Plan, Target
from models.vocabulary import ASSIGNED, ASSIGNMENT_PREFIX, EXTENDED, TARGET_MISSED, NoticeKey, Role, ref_of
from tasks.engine.completion import assessment_marks
from tasks.engine.escalate_rows import (
    NoticeRow,
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
from tasks.engine.open_work import OpenWork
from tasks.engine.work import list_members

Hits = dict[int, list[tuple[StageHit, date, str]]]  # assignment id → (stage hit, due day, key suffix)


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

    def _add(self, row: WorkRow, hit: StageHit, due: date, suffix: str) -> None:
        self.rows[row.id] = row
        self.hits[row.id].append((hit, due, suffix))

    def _handovers(self) -> None:
        """交办 once per assignment, whatever its due day."""
        if self.plan.escalation.assign.notify:
            handover = StageHit(ASSIGNED, 0, tuple(self.plan.escalation.assign.notify), 0)
            suffix = NoticeKey.suffix(None, ASSIGNED)
            for row in lacking_handover(self.session, self.work):
                self._add(row, handover, row.due, suffix)

    def _stages(self) -> None:
        """The stage each (item, due day) reaches today, computed once; then only its assignments lacking it.
        An extended assignment's due day may differ from its row's: _moved() works it out."""
        reached = {}
        for item_id, due in due_groups(self.session, self.work):
            item = self.items.get(item_id)
            hit = self._stage(item, due) if item else None
            if hit:
                reached[(item_id, due)] = hit
        suffixes = {group: NoticeKey.suffix(group[1], hit.stage, hit.cycle) for group, hit in reached.items()}
        for row in lacking_stage(self.session, self.work, suffixes):
            if row.id not in self.held and row.id not in self.moves:
                group = (row.item_id, row.due)
                self._add(row, reached[group], row.due, suffixes[group])

    def _moved(self) -> None:
        """延期 for the latest extension in force, and the stage of the due day in force today (SPEC §4)."""
        found: list[tuple[WorkRow, StageHit, date]] = []
        for row in rows_by_id(self.session, self.work, self.moves):
            item, mine = self.items.get(row.item_id), self.moves[row.id]
            due = effective_due(row.due, mine, self.day)
            in_force = [m for m in mine if m.day <= self.day]
            if in_force:
                found.append((row, StageHit(EXTENDED, len(in_force), (Role.ASSIGNEE,), 0), due))
            hit = self._stage(item, due) if item and row.id not in self.held else None
            found += [(row, hit, due)] if hit else []
        suffixes = [NoticeKey.suffix(due, hit.stage, hit.cycle) for _, hit, due in found]
        keys = [ASSIGNMENT_PREFIX + str(row.id) + suffix for (row, _, _), suffix in zip(found, suffixes, strict=True)]
        stored = stored_keys(self.session, self.work.campaign_id, keys)
        for (row, hit, due), suffix, key in zip(found, suffixes, keys, strict=True):
            if key not in stored:
                self._add(row, hit, due, suffix)

    def _stage(self, item: Item, due: date) -> StageHit | None:
        escalation, calendar = self.plan.escalation, self.plan.calendar()
        return stage_due(due=due, day=self.day, calendar=calendar, escalation=escalation, optional=item.optional)

    def _notices(self) -> list[NoticeRow]:
        """In (occurrence, id) order, each assignment's 交办, 延期, then its reminder or overdue stage."""
        standards = {r.assignee for r in self.rows.values() if _kind(self.items, r.item_id) == "standards"}
        communities = {ref_of(assignee) for assignee in standards}
        marks = assessment_marks(self.session, self.plan.campaign.id, communities) if communities else {}
        people_of = _People(self.plan, self.day, marks)
        notices: list[NoticeRow] = []
        for assignment_id in sorted(self.hits, key=lambda i: (self.rows[i].occurrence, i)):
            row, item = self.rows[assignment_id], self.items.get(self.rows[assignment_id].item_id)
            if item is None or row.assignee not in people_of.addressees:
                continue  # removed from the plan: history stays, no more notices
            for hit, due, suffix in sorted(self.hits[assignment_id], key=lambda h: h[0].stage.order):
                people = people_of(item, row.assignee, hit.notify)
                if people:
                    notices.append(_notice(self.plan, self.phase_id, self.day, row, hit, people, due, suffix))
        return notices


def _kind(items: dict[str, Item], item_id: str) -> str | None:
    item = items.get(item_id)
    return item.kind if item else None


class _People:
    """Who a notice goes to: addressees indexed once, people memoised per (item, assignee, roles) for one run."""

    def __init__(self, plan: Plan, day: date, marks: dict[str, list[tuple[int, Mark]]]) -> None:
        self.plan, self.day, self.marks = plan, day, marks
        self.addressees: dict[str, Addressee] = addressees(plan)
        self.memo: dict[tuple[str, str, tuple[Role, ...]], dict[str, tuple[Role, str]]] = {}

    def __call__(self, item: Item, assignee: str, notify: tuple[Role, ...]) -> dict[str, tuple[Role, str]]:
        key = (item.id, assignee, notify)
        if key not in self.memo:
            who = self.addressees[assignee]
            self.memo[key] = recipients(self.plan, notify, who, self._supervisors(item, assignee))
        return self.memo[key]

    def _supervisors(self, item: Item, assignee: str) -> list[str]:
        if item.kind != "standards":
            return supervising_offices(self.plan, item, [])
        community = ref_of(assignee)
        unmet = unmet_standards(self.plan.standards, latest_marks(self.marks.get(community, []), self.day))
        return supervising_offices(self.plan, item, unmet)


def _notice(
    plan: Plan,
    phase_id: str,
    day: date,
    assignment: WorkRow,
    hit: StageHit,
    people: dict[str, tuple[Role, str]],
    due: date,
    suffix: str,
) -> NoticeRow:
    """The notice keyed `a<id><suffix>`: once per (assignment, due day, stage, cycle), 交办 once per assignment."""
    return {
        "campaign_id": plan.campaign.id,
        "key": ASSIGNMENT_PREFIX + str(assignment.id) + suffix,
        "phase_id": phase_id,
        "day": day,
        "item_id": assignment.item_id,
        "assignee": assignment.assignee,
        "assignment_id": assignment.id,
        "target_id": None,
        "stage": str(hit.stage),
        "cycle": hit.cycle,
        "recipients": sorted(people),
        "roles": {email: [role, name] for email, (role, name) in people.items()},
        "overdue_days": hit.overdue_days,
        "due": due,
        "outbox_done": False,
    }


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
    notices: list[NoticeRow] = []
    for target in due:
        if inputs is None or target_result(plan, target, inputs, target.by).met:
            continue
        people = recipients(plan, [Role.LEADING_GROUP_OFFICE, Role.LEADER], None, [])
        notices.append(
            {
                "campaign_id": plan.campaign.id,
                "key": str(NoticeKey.for_target(target.id)),
                "phase_id": phase_id,
                "day": day,
                "item_id": target.id,
                "assignee": None,
                "assignment_id": None,
                "target_id": target.id,
                "stage": str(TARGET_MISSED),
                "cycle": 0,
                "recipients": sorted(people),
                "roles": {e: [role, name] for e, (role, name) in people.items()},
                "overdue_days": 0,
                "due": None,
                "outbox_done": False,
            }
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
