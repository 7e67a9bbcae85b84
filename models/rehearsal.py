"""Rehearsals: a past plan moved to today, and which phase a day belongs to. Pure rules for `up`."""

from __future__ import annotations

from datetime import date

from models.plan import Plan
from models.workcal import uncovered_years


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
