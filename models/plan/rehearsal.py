"""Rehearsals: a past plan moved to today, and which phase a day belongs to. Pure rules for `up`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from models.plan.item_checks import yearly_dues
from models.plan.schema import Item, Plan
from models.plan.workcal import uncovered_years


def rehearsal_shift(plan: Plan, option: str | None, stored: int, today: date) -> int:
    """Days to shift the plan: an explicit --rebase DATE, a rehearsal already running, or a plan in the past."""
    if option not in (None, "auto"):
        first = today if option == "today" else date.fromisoformat(str(option))
        return (first - plan.start).days
    if stored:
        return stored  # a restart keeps the rehearsal's dates, so schedules and notices stay put
    return (today - plan.start).days if plan.campaign.end < today else 0


def rehearsal_notes(plan: Plan, shift: int) -> list[str]:
    """The first lines `up` prints about a shifted plan and its calendar fallback."""
    if not shift:
        return [f"计划按原日期运行：{plan.start} → {plan.campaign.end}"]
    notes = [
        f"排练模式 rehearsal: 计划日期整体平移 {shift} 天，第一阶段自 {plan.start} 开始，至 {plan.campaign.end} 结束"
    ]
    if plan.campaign.calendar == "cn-workdays":
        years = uncovered_years(
            range(plan.start.year, plan.campaign.end.year + 1),
            [*plan.calendar_overrides.holidays, *plan.calendar_overrides.workdays],
        )
        if years:
            notes.append(
                f"注意：{', '.join(map(str, years))} 年尚无国家法定节假日数据，这些年份按周一至周五计算工作日"
                f" (cn-workdays falls back to weekdays)"
            )
    return notes


def current_phase(plan: Plan, today: date) -> str:
    """The phase whose window holds today, else the latest one started (its items stay open)."""
    started = [p for p in plan.phases if p.start <= today] or plan.phases[:1]
    return started[-1].id


def rebase(plan: Plan, first_day: date) -> Plan:
    """The same plan with every date shifted so the first phase starts on `first_day` (a rehearsal)."""
    delta = first_day - plan.start
    data = plan.model_dump(mode="python", by_alias=True)
    data["campaign"]["end"] += delta
    for phase in data["phases"]:
        phase["start"] += delta
        phase["end"] += delta
        for item in phase["items"]:
            item["due"] = _shift_due(plan, item, delta)
    for target in data["targets"]:
        target["by"] += delta
    for key in ("holidays", "workdays"):
        data["calendar_overrides"][key] = [d + delta for d in data["calendar_overrides"][key]]
    return Plan.model_validate(data)


def _shift_due(plan: Plan, item: dict[str, Any], delta: timedelta) -> date | str | None:
    """A date moves by delta; a yearly month-day moves as its first occurrence in the campaign does; a submission
    item has none."""
    due = item["due"]
    if due is None:
        return None
    if isinstance(due, date):
        return due + delta
    first = yearly_dues(plan, Item.model_validate(item))
    return (first[0] + delta).strftime("%m-%d") if first else str(due)
