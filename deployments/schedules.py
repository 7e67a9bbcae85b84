"""Schedules bound to a plan: RRules with DTSTART and UNTIL as naive local times, plus the timezone."""

from __future__ import annotations

from datetime import date, datetime, time

from prefect.schedules import RRule, Schedule

from models.plan import Plan


def _local(day: date, at: time) -> str:
    return datetime.combine(day, at).strftime("%Y%m%dT%H%M%S")


def daily_schedule(plan: Plan, phase_id: str) -> Schedule:
    """Every day at run_at from the phase's start until the campaign's end (non-working days only record)."""
    phase, at = plan.phase(phase_id), plan.campaign.run_time
    rule = f"DTSTART:{_local(phase.start, at)}\nRRULE:FREQ=DAILY;UNTIL={_local(plan.campaign.end, at)}"
    return RRule(rule, timezone=plan.campaign.timezone, slug=f"{plan.campaign.id}-{phase_id}-daily", active=True)


def weekly_schedule(plan: Plan) -> Schedule:
    """Mondays at run_at from the campaign's start until a week after its end (the closing report)."""
    at = plan.campaign.run_time
    until = plan.campaign.end.toordinal() + 7
    rule = f"DTSTART:{_local(plan.start, at)}\nRRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL={_local(date.fromordinal(until), at)}"
    return RRule(rule, timezone=plan.campaign.timezone, slug=f"{plan.campaign.id}-weekly-report", active=True)


def monthly_schedule(plan: Plan) -> Schedule:
    """Days 1-10 of each month at run_at, from the campaign's start until the month after its end (the
    closing 通报); the flow sends only on the month's first working day, which an RRule cannot know
    (春节 and 国庆 push it as late as the 8th)."""
    at, end = plan.campaign.run_time, plan.campaign.end
    until = date(end.year + end.month // 12, end.month % 12 + 1, 10)
    days = ",".join(str(d) for d in range(1, 11))
    rule = f"DTSTART:{_local(plan.start, at)}\nRRULE:FREQ=DAILY;BYMONTHDAY={days};UNTIL={_local(until, at)}"
    return RRule(rule, timezone=plan.campaign.timezone, slug=f"{plan.campaign.id}-monthly-circular", active=True)
