"""On which days the weekly report and the monthly 通报 go out: the rules behind their schedules, and `simulate`."""

from __future__ import annotations

from datetime import date, timedelta

from models.plan import Plan
from models.reports.circular import first_workday_of_month

WEEKLY_ON = 0  # Mondays
CIRCULAR_DAYS = range(1, 11)  # the first working day of a month falls on the 1st-10th (春节 and 国庆 push it late)


def weekly_until(plan: Plan) -> date:
    """A week after the campaign's end: the closing report."""
    return plan.campaign.end + timedelta(days=7)


def circular_until(plan: Plan) -> date:
    """The 10th of the month after the campaign's end: the latest day its closing 通报 can go out."""
    end = plan.campaign.end
    return date(end.year + end.month // 12, end.month % 12 + 1, CIRCULAR_DAYS[-1])


def is_report_day(plan: Plan, day: date) -> bool:
    """The weekly report's day: a Monday from the campaign's start until a week after its end."""
    return day.weekday() == WEEKLY_ON and plan.start <= day <= weekly_until(plan)


def is_circular_day(plan: Plan, day: date) -> bool:
    """The 通报's day: the first working day of a month in the plan's calendar, within its schedule's window."""
    in_window = plan.start <= day <= circular_until(plan)
    return in_window and first_workday_of_month(plan.calendar(), day) == day
