"""Notices of the seed plan built by hand, one per role × stage, for the golden and property tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage

from models import tables
from models.engine.rules import TargetResult, addressee, recipients, required_count, supervising_offices
from models.mail.digest import NoticeFacts, build_digests
from models.mail.render import render_digest
from models.mail.wording import Gap
from models.plan.schema import Plan
from models.vocabulary import NoticeKey, Role, Stage, StageKind, ref_of

D = date.fromisoformat
MAIL_FROM = "notices@qingyang.example"


@dataclass(frozen=True)
class Case:
    name: str
    item: str
    assignee: str | None
    stage: str
    day: date
    due: date | None = None
    cycle: int = 0
    overdue_days: int = 0
    previous_due: date | None = None


CASES = (
    Case("annual-report", "consolidation.annual_report", "community:c01", "assigned", D("2022-11-01"), D("2022-11-20")),
    Case("baseline-survey", "pilot.baseline_survey", "office:community_development_office", "assigned",
         D("2021-12-01"), D("2021-12-10")),
    Case("pilot-report", "promotion.pilot_report", "community:c02", "remind-3", D("2022-02-16"), D("2022-02-20")),
    Case("apply", "pilot.apply", "community:c03", "remind-1", D("2021-12-14"), D("2021-12-15")),
    Case("meet-standards", "pilot.meet_standards", "community:c02", "overdue-1", D("2022-02-07"), D("2022-01-31"),
         overdue_days=1),
    Case("pilot-report", "promotion.pilot_report", "community:c02", "overdue-2", D("2022-02-24"), D("2022-02-20"),
         overdue_days=3),
    Case("refine-plan", "pilot.refine_plan", "community:c07", "overdue-3", D("2022-01-11"), D("2021-12-31"),
         overdue_days=7),
    Case("refine-plan", "pilot.refine_plan", "community:c07", "overdue-4", D("2022-02-10"), D("2021-12-31"),
         cycle=1, overdue_days=25),
    Case("refine-plan", "pilot.refine_plan", "community:c05", "extended", D("2021-12-29"), D("2022-01-14"),
         previous_due=D("2021-12-31")),
    Case("pilot-target", "pilot-2021", None, "target-missed", D("2022-02-07")),
)  # fmt: skip

GAPS: dict[str, list[tuple[int, str | None]]] = {
    "c01": [(3, "unmet"), (12, "0.22")],
    "c02": [(5, None), (12, "0.25")],
    "c04": [(16, "unmet")],
}


def facts(plan: Plan, case: Case) -> NoticeFacts:
    standards = {s.id: s for s in plan.standards}
    unmet = {c: [Gap(standards[i], v) for i, v in gaps] for c, gaps in GAPS.items()}
    targets = {}
    if case.stage == "target-missed":
        target = next(t for t in plan.targets if t.id == case.item)
        required = required_count(target.min_share, len(plan.communities))
        targets[target.id] = TargetResult(target.id, target.by, required, 1)
    previous = {1: case.previous_due} if case.previous_due else {}
    return NoticeFacts(
        {1: case.due} if case.due else {}, unmet, targets, {"pilot-2021": ["c01", "c02", "c04"]}, previous
    )


def notice(plan: Plan, case: Case) -> tables.Notice:
    if case.stage == "target-missed":
        people = recipients(plan, (Role.LEADING_GROUP_OFFICE, Role.LEADER), None, [])
        key = str(NoticeKey.for_target(case.item))
    else:
        item = next(i for _, i in plan.items() if i.id == case.item)
        notify = _notify(plan, case.stage)
        assert case.assignee is not None
        standards = {s.id: s for s in plan.standards}
        unmet = [standards[i] for i, _ in GAPS.get(ref_of(case.assignee), [])]
        people = recipients(plan, notify, addressee(plan, case.assignee), supervising_offices(plan, item, unmet))
        assert case.due is not None
        key = str(NoticeKey.for_assignment(1, case.due, Stage.parse(case.stage), case.cycle))
    return tables.Notice(
        campaign_id=plan.campaign.id,
        key=key,
        phase_id=_phase(plan, case),
        day=case.day,
        item_id=case.item,
        assignee=case.assignee,
        assignment_id=None if case.assignee is None else 1,
        target_id=case.item if case.assignee is None else None,
        stage=case.stage,
        cycle=case.cycle,
        recipients=sorted(people),
        overdue_days=case.overdue_days,
        roles={email: [role, name] for email, (role, name) in people.items()},
        due=case.due,
    )


def _notify(plan: Plan, name: str) -> list[Role]:
    stage = Stage.parse(name)
    if stage.kind in (StageKind.ASSIGNED, StageKind.EXTENDED):
        return [Role.ASSIGNEE]
    if stage.kind is StageKind.REMIND:
        return list(next(r for r in plan.escalation.reminders if r.before == stage.number).notify)
    return list(plan.escalation.ladder[stage.number - 1].notify)


def _phase(plan: Plan, case: Case) -> str:
    if case.stage == "target-missed":
        return next(p.id for p in plan.phases if p.start <= case.day - (case.day - D("2022-01-31")) <= p.end)
    return next(p.id for p, i in plan.items() if i.id == case.item)


def rendered(plan: Plan, case: Case) -> dict[str, EmailMessage]:
    """role → the e-mail its first recipient gets."""
    one = notice(plan, case)
    out: dict[str, EmailMessage] = {}
    for digest in build_digests(plan, one.phase_id, case.day, [one], facts(plan, case)):
        role = one.roles[digest.recipient.email][0]
        if role not in out:
            message = message_from_bytes(render_digest(digest, mail_from=MAIL_FROM).as_bytes(), policy=policy.default)
            assert isinstance(message, EmailMessage)
            out[role] = message
    return out


def text_of(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert isinstance(part, EmailMessage)
    content: str = part.get_content()
    if subtype == "html":
        content = re.sub(r"<[^>]*>", " ", content)
    return content
