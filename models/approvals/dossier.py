"""What a decider sees of a request (SPEC §7), pure: who may decide it, the run's name, the form and its text.

Everything here is read by an official: Chinese, no identifiers, no ISO dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model, model_validator

from models.approvals.receipts import KIND_TEXT, Kind, Request
from models.engine import supervising_offices
from models.mail import cn_date, salutation
from models.plan import Item, Plan
from models.vocabulary import Role

Verdict = Literal["同意", "退回"]
COMMENT_LIMIT = 2000


@dataclass(frozen=True)
class Decider:
    """A person entitled to decide: `label` is how the form lists them and the audit trail names them."""

    label: str  # 黄珑副主任（社区发展办）
    email: str
    greeting: str  # 黄珑副主任


def deciders(plan: Plan, kind: Kind, item: Item | None) -> list[Decider]:
    """A claim: the heads and liaisons of the item's supervising offices; an extension (or an item gone from the
    plan): the leading group office, its director and `leading_group.approvers`. Each address once."""
    if kind == "claim" and item is not None:
        offices = set(supervising_offices(plan, item, []))
        seats = [s for s in plan.people() if s.unit is not None and s.unit.ref in offices and not s.unit.is_community]
    else:
        seats = [s for s in plan.people() if s.unit is None and s.role == Role.LEADING_GROUP_OFFICE]
    found: dict[str, Decider] = {}
    for seat in seats:
        person = seat.person
        greeting = salutation(person.name, person.title, person.salutation)
        found.setdefault(
            person.email.lower(), Decider(f"{greeting}（{seat.unit_name}）", person.email.lower(), greeting)
        )
    return list(found.values())


class DecisionInput(BaseModel):
    """What every decision carries; `decision_form` narrows who decides to the entitled people."""

    decision: Verdict = Field(title="审核结论", description="必选：同意，或退回（退回须填写审核意见）")
    decided_by: str = Field(title="审核人", description="从有权审核的人员中选择本人")
    comment: str = Field(
        default="", title="审核意见", max_length=COMMENT_LIMIT, description="退回时必填，将随回执发送给申请单位"
    )

    @property
    def approve(self) -> bool:
        return self.decision == "同意"

    def problem(self) -> str:
        """Why this decision cannot be applied as it stands (退回 without a comment), else ''."""
        return "退回须填写审核意见。" if self.decision == "退回" and not self.comment.strip() else ""


def decision_form(labels: Sequence[str]) -> type[DecisionInput]:
    """The Resume form: decided_by a choice among the entitled people's labels (built at run time from the plan),
    no default anywhere a hasty Submit would take."""
    choice: Any = Literal[tuple(labels)]  # a Literal of run-time values
    people = list(labels)

    def as_a_choice(schema: dict[str, Any]) -> None:
        schema.pop("const", None)  # one entitled person: still a choice to make, not a field the UI greys out
        schema["enum"] = people

    field = Field(title="审核人", description="从有权审核的人员中选择本人", json_schema_extra=as_a_choice)
    fields: Any = {"decided_by": (choice, field)}
    return create_model("Decision", __base__=DecisionInput, **fields)


class CheckedDecision(DecisionInput):
    """A decision as the desk takes it: a 退回 without a comment is refused before anything changes."""

    @model_validator(mode="after")
    def _comment_when_returned(self) -> CheckedDecision:
        if problem := self.problem():
            raise ValueError(problem)
        return self


@dataclass(frozen=True)
class Earlier:
    """An earlier claim or extension request of the same assignment, and how it ended."""

    kind: Kind
    filed_on: date
    outcome: str  # 同意 / 退回 / 待审核 / 已撤回
    text: str


@dataclass(frozen=True)
class Dossier:
    """A request with what its decider needs beside it (the tasks layer reads it from the database)."""

    request: Request
    item: Item | None
    requester: str  # 社区一 联系人一
    filed_at: datetime  # aware
    today: date
    notices: list[tuple[date, str]] = field(default_factory=list)  # (day, stage label) of the assignment's notices
    earlier: list[Earlier] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)  # a claim's files, as lines (SPEC §8)


def run_name(request: Request) -> str:
    """审核延期：示例社区01 · 制定方案 (the runs list shows what waits, not an id)."""
    what = "审核办结" if request.kind == "claim" else "审核延期"
    return f"{what}：{request.assignee_name} · {request.item_title}"


def form_description(dossier: Dossier, people: list[Decider], problem: str = "") -> str:
    """The Resume form's text: what is asked, by whom, what 同意 and 退回 do, who may decide."""
    r = dossier.request
    if r.kind == "claim":
        ask = f"{r.assignee_name}申报“{r.item_title}”已办结。同意即确认办结；退回则该事项继续办理、恢复催办。"
    else:
        ask = (
            f"{r.assignee_name}申请将“{r.item_title}”的完成时限由{cn_date(r.due)}延至{cn_date(r.new_due or r.due)}。"
            "同意即调整完成时限；退回则原时限不变。"
        )
    lines = [f"**{KIND_TEXT[r.kind]}待审核**", "", ask, "", f"说明：{r.text or '（无）'}", ""]
    lines += [f"审核人须为：{'、'.join(p.label for p in people)}。退回须填写审核意见。详见本次运行的“审核材料”。"]
    return "\n".join(([f"**{problem}请重新填写。**", ""] if problem else []) + lines)


def dossier_markdown(plan: Plan, dossier: Dossier) -> str:
    """The run's artifact: everything the decider weighs, as a table an official reads."""
    table = "\n".join(f"| {name} | {_cell(value)} |" for name, value in dossier_rows(plan, dossier))
    return f"# {run_name(dossier.request)}\n\n| 项目 | 内容 |\n| --- | --- |\n{table}\n"


def dossier_rows(plan: Plan, dossier: Dossier) -> list[tuple[str, str]]:
    """(heading, text) of everything the decider weighs, for the run's artifact and the desk's page alike."""
    r, item = dossier.request, dossier.item
    local = plan.campaign.local(dossier.filed_at)
    rows = [
        ("事项", r.item_title),
        ("工作要求", (item.requirement if item else "") or r.item_title),
        ("承办单位", r.assignee_name),
        ("申请人", dossier.requester),
        ("申请时间", f"{cn_date(local.date())}{local:%H:%M}"),
        ("办结情况说明" if r.kind == "claim" else "延期理由", r.text or "（无）"),
        ("当前完成时限", cn_date(r.due)),
    ]
    if r.new_due is not None:
        rows.append(("申请延期至", cn_date(r.new_due)))
    rows.append(("办理进度", time_left(plan, r.due, dossier.today)))
    if r.kind == "claim":  # an extension request hands in nothing
        rows.append(("报送材料", "；".join(dossier.materials) or "未附材料"))
    rows.append(("已发通知", "；".join(f"{cn_date(day)}{stage}" for day, stage in dossier.notices) or "无"))
    earlier = [f"{cn_date(e.filed_on)}{KIND_TEXT[e.kind]}（{e.outcome}）：{e.text}" for e in dossier.earlier]
    rows.append(("此前申请", "；".join(earlier) or "无"))
    return rows


def time_left(plan: Plan, due: date, today: date) -> str:
    """距完成时限还有N个工作日 / 今日到期 / 已逾期N个工作日, in the campaign's working days."""
    calendar = plan.calendar()
    if today < due:
        return f"距完成时限还有{calendar.workdays_after(today, due)}个工作日"
    if today == due:
        return "今日到期"
    return f"已逾期{calendar.workdays_after(due, today)}个工作日"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "｜")
