"""Schedules bound to a plan: RRules with DTSTART and UNTIL as naive local times, plus the timezone."""

from __future__ import annotations

from datetime import date, datetime, time

from prefect.schedules import RRule, Schedule

from models.plan import Plan
from models.reports import CIRCULAR_DAYS, circular_until, weekly_until


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
    rule = f"DTSTART:{_local(plan.start, at)}\nRRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL={_local(weekly_until(plan), at)}"
    return RRule(rule, timezone=plan.campaign.timezone, slug=f"{plan.campaign.id}-weekly-report", active=True)


BACKUP_AT = time(20, 0)  # after the day's runs and the evening's answers at the desk


def backup_schedule(plan: Plan) -> Schedule:
    """Every day at 20:00 from the campaign's start until its last 通报 goes out; the flow backs up on working days
    only, which an RRule cannot know (调休 Saturdays work, holidays do not)."""
    until = circular_until(plan)
    rule = f"DTSTART:{_local(plan.start, BACKUP_AT)}\nRRULE:FREQ=DAILY;UNTIL={_local(until, BACKUP_AT)}"
    return RRule(rule, timezone=plan.campaign.timezone, slug=f"{plan.campaign.id}-daily-backup", active=True)


def monthly_schedule(plan: Plan) -> Schedule:
    """Days 1-10 of each month at run_at, from the campaign's start until the month after its end (the
    closing 通报); the flow sends only on the month's first working day, which an RRule cannot know
    (春节 and 国庆 push it as late as the 8th)."""
    at, until = plan.campaign.run_time, circular_until(plan)
    days = ",".join(str(d) for d in CIRCULAR_DAYS)
    rule = f"DTSTART:{_local(plan.start, at)}\nRRULE:FREQ=DAILY;BYMONTHDAY={days};UNTIL={_local(until, at)}"
    return RRule(rule, timezone=plan.campaign.timezone, slug=f"{plan.campaign.id}-monthly-circular", active=True)


def intake_schedule(plan: Plan, *, active: bool) -> Schedule:
    """Every 15 minutes from 08:00 to 17:45, every day from the campaign's start until a week after its end (units
    also send on 调休 weekends; a pass over an unchanged mailbox costs one IMAP search)."""
    at, until = time(8), date.fromordinal(plan.campaign.end.toordinal() + 7)
    hours = ",".join(str(h) for h in range(8, 18))
    rule = (
        f"DTSTART:{_local(plan.start, at)}\n"
        f"RRULE:FREQ=DAILY;BYHOUR={hours};BYMINUTE=0,15,30,45;UNTIL={_local(until, time(18))}"
    )
    return RRule(rule, timezone=plan.campaign.timezone, slug=f"{plan.campaign.id}-mailbox-intake", active=active)
