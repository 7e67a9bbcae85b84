"""Started on a rest day: when the first (or next) notices go out, said the way an office says it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from models.mail import cn_date
from models.plan import Plan

WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class RestDay:
    """Today is a rest day in the plan's calendar; notices go out on `next_workday`."""

    next_workday: date
    first: bool  # nothing has been sent yet: the campaign's first notices

    @property
    def text(self) -> str:
        """今天是休息日，首批通知将于2026年12月7日（星期一）发出."""
        day = self.next_workday
        which = "首批通知" if self.first else "通知"
        return f"今天是休息日，{which}将于{cn_date(day)}（星期{WEEKDAYS[day.weekday()]}）发出"

    def to_json(self) -> dict[str, Any]:
        return {"next_workday": self.next_workday.isoformat(), "first": self.first, "text": self.text}


def rest_day(plan: Plan, day: date, *, first: bool) -> RestDay | None:
    """On a rest day of the campaign (before its end), the working day its runs next send notices on.
    Runs on rest days assign and record only (SPEC §4: notices on working days)."""
    calendar = plan.calendar()
    if day > plan.campaign.end or calendar.is_workday(day):
        return None
    start = max(day, plan.start)
    following = start if calendar.is_workday(start) and start > day else calendar.next_workday_after(start)
    return RestDay(following, first) if following <= plan.campaign.end else None
