"""What the desk shows and allows (SPEC §7), as pure functions: roles, stages, links, page lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal
from urllib.parse import quote

from models import tables
from models.plan import Item, Plan
from models.tokens import ACTIONS, Action, Grant, sign
from models.wording import cn_date

Role = Literal["owner", "supervisor", "lead"]
ROLE_TEXT: dict[Role, str] = {"owner": "承办", "supervisor": "督促", "lead": "统筹督办"}
ACTION_TEXT: dict[Action, str] = {"ack": "签收", "claim": "申报办结", "extend": "申请延期", "mine": "我的事项"}


def desk_links(
    base_url: str, secret: bytes, campaign: str, assignment_id: int, recipient: str, end: date
) -> dict[str, str]:
    """action → URL of the signed link, every action; the caller offers those the reader may take."""
    links: dict[str, str] = {}
    for action in ACTIONS:
        target = 0 if action == "mine" else assignment_id
        token = sign(secret, Grant(campaign, target, recipient, action, end))
        path = "me" if action == "mine" else "a"
        links[action] = f"{base_url.rstrip('/')}/{path}/{quote(token, safe='')}"
    return links


def offered_actions(role: Role | None, item: Item | None) -> list[Action]:
    """The links a notice line carries for a reader: the assignee acts, everyone may open their page."""
    if role != "owner" or item is None:
        return ["mine"]
    return ["ack", "claim", "extend", "mine"] if item.kind == "task" else ["ack", "extend", "mine"]


def supervising_offices(plan: Plan, item: Item) -> list[str]:
    return list(item.supervisors or [plan.leading_group.office])


def role_of(plan: Plan, item: Item | None, assignee: str, recipient: str) -> Role | None:
    """The reader's relation to an assignment: its owner, a supervising office, or the leading group."""
    who = recipient.lower()
    kind, _, ref = assignee.partition(":")
    if kind == "community":
        people = [(c.contact.email, c.head.email) for c in plan.communities if c.id == ref]
    else:
        people = [(o.liaison.email, o.head.email) for o in plan.offices if o.id == ref]
    if any(who in (a.lower(), b.lower()) for a, b in people):
        return "owner"
    offices = {o.id: o for o in plan.offices}
    supervisors = supervising_offices(plan, item) if item else [plan.leading_group.office]
    if any(
        s in offices and who in (offices[s].liaison.email.lower(), offices[s].head.email.lower()) for s in supervisors
    ):
        return "supervisor"
    lead = plan.leading_group
    if who in (lead.office_director.email.lower(), lead.leader.email.lower()):
        return "lead"
    return None


def allowed(role: Role | None, action: Action, item: Item | None) -> bool:
    """签收 and 申请延期 by the owner; 申报办结 by the owner of a task item."""
    return role == "owner" and item is not None and (action != "claim" or item.kind == "task")


@dataclass(frozen=True)
class DeskLine:
    """One assignment as the desk shows it, in words an official reads."""

    assignment_id: int
    title: str
    assignee: str
    due: str
    stage: str
    role: str
    acknowledged: bool
    pending: list[str]


def stage_text(plan: Plan, assignment: tables.Assignment, day: date) -> str:
    """办结 / 未到期 / 今日到期 / 逾期N个工作日, counted in the campaign's working days."""
    if assignment.completed_on is not None and assignment.completed_on <= day:
        return f"已于{cn_date(assignment.completed_on)}办结"
    if day < assignment.due:
        left = plan.calendar().workdays_after(day, assignment.due)
        return f"办理中，距完成时限还有{left}个工作日" if left else "办理中，完成时限前已无工作日"
    if day == assignment.due:
        return "今日到期"
    late = plan.calendar().workdays_after(assignment.due, day)
    return f"已逾期{late}个工作日" if late else "已过完成时限（非工作日）"


def desk_line(
    plan: Plan, assignment: tables.Assignment, day: date, role: Role | None, *, acknowledged: bool, pending: list[str]
) -> DeskLine:
    items = {i.id: i for _, i in plan.items()}
    item = items.get(assignment.item_id)
    names = {f"community:{c.id}": c.name for c in plan.communities} | {f"office:{o.id}": o.name for o in plan.offices}
    assert assignment.id is not None
    return DeskLine(
        assignment.id,
        item.label if item else "（已撤销的事项）",
        names.get(assignment.assignee, "（已撤销的单位）"),
        cn_date(assignment.due),
        stage_text(plan, assignment, day),
        ROLE_TEXT[role] if role else "",
        acknowledged,
        pending,
    )


def decision_deadline(plan: Plan, filed_on: date, working_days: int) -> date:
    """The last day a request waits for a decision: the N-th working day after it was filed."""
    calendar, day = plan.calendar(), filed_on
    for _ in range(max(working_days, 1)):
        day = calendar.next_workday_after(day)
    return day
