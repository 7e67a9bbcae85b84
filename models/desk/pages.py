"""What the desk shows and allows (SPEC §7), as pure functions: roles, stages, links, page lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from models import tables
from models.desk.readers import Relation
from models.desk.tokens import Action, Grant, sign
from models.engine import labels_of
from models.mail import cn_date
from models.plan import Item, Plan

ACTION_TEXT: dict[Action, str] = {
    "ack": "签收",
    "claim": "申报办结",
    "extend": "申请延期",
    "mine": "我的事项",
    "file": "下载材料",
    "decide-claim": "审核办结申报",
    "decide-extension": "审核延期申请",
}
LINKED: tuple[Action, ...] = ("ack", "claim", "extend", "mine")  # the links of a notice line


def desk_links(
    base_url: str, secret: bytes, campaign: str, assignment_id: int, recipient: str, end: date
) -> dict[str, str]:
    """action → URL of the signed link, every action of a notice line; the caller offers those the reader may take."""
    links: dict[str, str] = {}
    for action in LINKED:
        target = 0 if action == "mine" else assignment_id
        token = sign(secret, Grant(campaign, target, recipient, action, end))
        path = "me" if action == "mine" else "a"
        links[action] = f"{base_url.rstrip('/')}/{path}/{quote(token, safe='')}"
    return links


def file_link(base_url: str, secret: bytes, campaign: str, file_id: int, recipient: str, end: date) -> str:
    """The signed download link of one handed-in file for one reader (SPEC §8), valid to `end`."""
    token = sign(secret, Grant(campaign, file_id, recipient, "file", end))
    return f"{base_url.rstrip('/')}/f/{quote(token, safe='')}"


def decision_links(
    base_url: str, secret: bytes, campaign: str, kind: str, request_id: int, recipient: str, end: date
) -> tuple[str, str]:
    """The 同意 and 退回 links of a 待审核 notice: one signed page (the decider's), the choice preselected."""
    action: Action = "decide-claim" if kind == "claim" else "decide-extension"
    token = quote(sign(secret, Grant(campaign, request_id, recipient, action, end)), safe="")
    page = f"{base_url.rstrip('/')}/d/{token}"
    return f"{page}?v=agree", f"{page}?v=return"


def offered_actions(relation: Relation | None, item: Item | None) -> list[Action]:
    """The links a notice line carries for a reader: the assignee acts, everyone may open their page."""
    if relation is not Relation.OWNER or item is None:
        return ["mine"]
    return ["ack", "claim", "extend", "mine"] if item.kind == "task" else ["ack", "extend", "mine"]


def allowed(relation: Relation | None, action: Action, item: Item | None) -> bool:
    """签收 and 申请延期 by the owner; 申报办结 by the owner of a task item."""
    return relation is Relation.OWNER and item is not None and (action != "claim" or item.kind == "task")


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
    claimable: bool = False  # a task item: its owner may claim it done


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


class Lines:
    """Desk lines of one plan and day: the plan's titles and names looked up once, not once a line."""

    def __init__(self, plan: Plan, day: date) -> None:
        self.plan, self.day = plan, day
        self.items, self.names = {i.id: i for _, i in plan.items()}, labels_of(plan)

    def line(
        self, assignment: tables.Assignment, relation: Relation | None, *, acknowledged: bool, pending: list[str]
    ) -> DeskLine:
        item = self.items.get(assignment.item_id)
        assert assignment.id is not None
        return DeskLine(
            assignment.id,
            item.label if item else "（已撤销的事项）",
            self.names.get(assignment.assignee, "（已撤销的单位）"),
            cn_date(assignment.due),
            stage_text(self.plan, assignment, self.day),
            relation.zh if relation else "",
            acknowledged,
            pending,
            item is not None and item.kind == "task",
        )


def decision_deadline(plan: Plan, filed_on: date, working_days: int) -> date:
    """The last day a request waits for a decision: the N-th working day after it was filed."""
    calendar, day = plan.calendar(), filed_on
    for _ in range(max(working_days, 1)):
        day = calendar.next_workday_after(day)
    return day
