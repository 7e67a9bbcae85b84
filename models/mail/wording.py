"""What a notice says to each role (SPEC §4 "What a notice says"): 公文 sentences, pure.

No identifier, English word or ISO date reaches these sentences: items by their titles, dates as
2022年1月31日, shares as 25%以上.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from models.plan import Item, Plan, Standard, Target
from models.vocabulary import Role, Stage, StageKind, UnitKind, kind_of

ASSUMED = "原文未规定时限，本时限为工作安排"


def cn_date(value: date | str) -> str:
    """2022年1月31日, from a date or an ISO text: dates as a 公文 writes them."""
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return f"{day.year}年{day.month}月{day.day}日"


def percent(share: Fraction | float) -> str:
    """0.25 → 25%, 0.333… → 33.3%: no needless decimals."""
    value = (share if isinstance(share, Fraction) else Fraction(str(share))) * 100
    return f"{value.numerator // value.denominator}%" if value.denominator == 1 else f"{float(value):.1f}%"


def target_title(target: Target) -> str:
    """How officials name a target: its `name`, else what it asks for."""
    return target.name or f"{percent(target.min_share)}以上的社区达到创建要求"


def citation(plan: Plan) -> str:
    """《title》（number）, or the campaign's name when the plan names no source."""
    source = plan.campaign.source
    if source is None:
        return f"《{plan.campaign.name}》"
    return f"《{source.title}》" + (f"（{source.number}）" if source.number else "")


def sender(plan: Plan) -> str:
    return plan.campaign.sender or f"{plan.campaign.name}工作领导小组办公室"


TITLE_WORDS = (
    "副书记", "书记", "副主任", "主任", "副所长", "所长", "中队长", "副队长", "队长",
    "副科长", "科长", "副组长", "组长", "委员", "部长", "站长", "校长", "院长", "局长", "馆长",
)  # fmt: skip


def salutation(name: str, title: str | None, given: str | None) -> str:
    """黄珑副主任: the plan's `salutation`; else the name and the first office word of the title's first
    segment (社区发展办副主任 → 副主任); a role name standing in for a person is used as it is."""
    if given:
        return given
    if title:
        first = title.split("、")[0]
        for word in TITLE_WORDS:
            if first.endswith(word):
                return name + word
    if name.endswith(("联络员", "联系人", "负责人", *TITLE_WORDS)):  # a role name standing in for a person
        return name
    return f"{name}同志"


@dataclass(frozen=True)
class Gap:
    """A standard a community has not met, with what was found (None: not assessed)."""

    standard: Standard
    value: str | None


def gap_text(gap: Gap, *, with_text: bool) -> str:
    """标准12：实测22%，要求不低于30%；标准3：未达标 / 未评估."""
    s = gap.standard
    head = f"标准{s.id}" + (f"（{s.text}）" if with_text else "")
    if gap.value is None:
        return f"{head}：未评估"
    if gap.value == "unmet" or s.measure is None:
        return f"{head}：未达标"
    if gap.value == "met":
        return f"{head}：已达标"
    low = s.measure.min
    shown = percent(float(gap.value)) if low <= 1 else gap.value
    needed = percent(low) if low <= 1 else str(low)
    return f"{head}：实测{shown}，要求不低于{needed}"


def unit_word(assignee: str) -> str:
    """你社区 / 你单位."""
    return "社区" if kind_of(assignee) is UnitKind.COMMUNITY else "单位"


@dataclass(frozen=True)
class Facts:
    """One notice as the sentences need it."""

    stage: Stage
    stage_label: str
    cycle: int
    role: Role
    assignee: str  # community:<id> | office:<id>
    who: str  # the assignee's name
    contact: str  # the assignee's contact person
    due: date | None
    previous_due: date | None
    overdue_days: int
    kind: str = "task"
    optional: bool = False

    @property
    def finish(self) -> str:
        """What the others press the assignee for."""
        return "对照创建标准补齐短板、达到创建要求" if self.kind == "standards" else "抓紧办结"


def lead(f: Facts) -> str:
    """The one sentence that tells this reader what the notice asks of them."""
    due = cn_date(f.due) if f.due else "（未设定）"
    repeat = f"（第{f.cycle + 1}次{f.stage_label}）" if f.cycle else ""
    late = f"应于{due}前完成，现已逾期{f.overdue_days}个工作日{repeat}"
    if f.role is Role.ASSIGNEE:
        return _to_assignee(f, due, late)
    if f.stage.kind is StageKind.ASSIGNED:
        return f"此项工作已交由{f.who}承办，完成时限为{due}。" + _ask(f.role, f.who, "按时办结")
    if f.stage.kind is StageKind.EXTENDED:
        previous = cn_date(f.previous_due) if f.previous_due else ""
        return f"经批准，{f.who}承办的此项工作完成时限由{previous}延至{due}。"
    if f.stage.kind is StageKind.REMIND:
        return f"{f.who}承办的此项工作应于{due}前完成，即将到期。" + _ask(f.role, f.who, "按时办结")
    if f.role is Role.ASSIGNEE_HEAD:
        return f"你{unit_word(f.assignee)}承办的此项工作{late}，请督促经办人（{f.contact}）{f.finish}。"
    return f"{f.who}承办的此项工作{late}{_AFTER.get(f.role, _AFTER[Role.LEADER])}。" + _ask(f.role, f.who, f.finish)


_AFTER = {  # what has been tried already, as the reader of each level is told
    Role.SUPERVISORS: "",
    Role.SUPERVISOR_HEADS: "，经催办仍未办结",
    Role.LEADING_GROUP_OFFICE: "，经催办、督办仍未办结",
    Role.LEADER: "，经领导小组办公室督办仍未办结",
}


def group_lead(role: Role, units: int) -> str:
    """The sentence over one item's overdue units, for a reader who supervises them."""
    done = _AFTER.get(role, "")
    return f"下列{units}个单位承办的此项工作已超过完成时限{done}。" + _ask(role, "各责任单位", "尽快办结")


def _ask(role: Role, who: str, what: str) -> str:
    if role in (Role.LEADING_GROUP_OFFICE, Role.LEADER):
        return "呈阅，请协调督办。"
    return f"请督促{who}{what}。"


def _to_assignee(f: Facts, due: str, late: str) -> str:
    unit = unit_word(f.assignee)
    if f.optional and f.stage.kind in (StageKind.ASSIGNED, StageKind.REMIND):
        return f"此项工作为自愿事项，你{unit}如有意愿，请于{due}前办理。"
    if f.stage.kind is StageKind.ASSIGNED:
        return f"现将此项工作交由你{unit}承办，请于{due}前完成。"
    if f.stage.kind is StageKind.EXTENDED:
        previous = cn_date(f.previous_due) if f.previous_due else ""
        return f"经批准，此项工作的完成时限由{previous}延至{due}，请按新的时限办结。"
    if f.stage.kind is StageKind.REMIND:
        days = f.stage.number
        left = f"距完成时限还有{days}个工作日" if days else "今日为完成时限"
        return f"此项工作应于{due}前完成，{left}，请抓紧办理，按时办结。"
    return f"此项工作{late}，请抓紧办理，尽快办结。"


def due_rows(item: Item, due: date | None) -> list[tuple[str, str]]:
    """完成时限 2022年1月31日前, and a 时限说明 when the plan had to assume the day."""
    rows = [("完成时限", f"{cn_date(due)}前（含当日）" if due else "未设定")]
    if item.assumed:
        rows.append(("时限说明", ASSUMED + (f"。{item.assumption}" if item.assumption else "。")))
    return rows


def basis_text(plan: Plan, item: Item) -> str:
    """《title》（number）四（一）2：“…quoted sentence…”."""
    where = citation(plan) + (item.section or "")
    return f"{where}：“{item.basis}”" if item.basis else where


def rate_text(share: Fraction | None) -> str:
    """An on-time rate as the circular writes it; nothing due is 无应办事项, never 100%."""
    return "无应办事项" if share is None else percent(share)
