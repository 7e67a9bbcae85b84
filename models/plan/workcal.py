"""Working-day arithmetic: China's official calendar, Monday-Friday, or every day, with overrides."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar

CalendarKind = Literal["cn-workdays", "weekdays", "calendar-days"]
ONE_DAY = timedelta(days=1)


def local_day(timezone: str, moment: datetime) -> date:
    """The date `moment` falls on in `timezone` (a campaign's days are local days)."""
    return moment.astimezone(ZoneInfo(timezone)).date()


@cache
def cn_calendar_years() -> range:
    """The years chinese-calendar has official data for."""
    years = {day.year for day in chinese_calendar.holidays}
    return range(min(years), max(years) + 1)


def uncovered_years(years: Iterable[int], overrides: Iterable[date]) -> list[int]:
    """Years a cn-workdays plan touches that neither the library nor the overrides cover."""
    overridden = {day.year for day in overrides}
    covered = cn_calendar_years()
    return sorted(y for y in set(years) if y not in covered and y not in overridden)


@dataclass(frozen=True)
class WorkCalendar:
    """Answers 'is this a working day?' and counts working days; overrides win over the kind."""

    kind: CalendarKind = "calendar-days"
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if self.kind == "calendar-days":
            return True
        if self.kind == "cn-workdays" and day.year in cn_calendar_years():
            return bool(chinese_calendar.is_workday(day))
        # weekdays, and a rehearsal of a cn-workdays plan in a year the calendar lacks
        return day.weekday() < 5

    def workdays_after(self, start: date, end: date) -> int:
        """Working days in (start, end]: the overdue days on `end` of something due on `start`."""
        return _rank(self, end) - _rank(self, start)

    def workday_before(self, due: date, k: int) -> date:
        """The k-th working day before `due` (the due day itself not counted); k=0 is `due` itself."""
        day, seen = due, 0
        while seen < k:
            day -= ONE_DAY
            seen += self.is_workday(day)
        return day

    def next_workday_after(self, day: date) -> date:
        day += ONE_DAY
        while not self.is_workday(day):
            day += ONE_DAY
        return day


RANK_BASE_YEAR = 1990


def _rank(calendar: WorkCalendar, day: date) -> int:
    """Working days from RANK_BASE_YEAR up to `day` inclusive; differences of ranks count days fast."""
    return _year_base(calendar, day.year) + _year_prefix(calendar, day.year)[day.timetuple().tm_yday - 1]


@cache
def _year_prefix(calendar: WorkCalendar, year: int) -> tuple[int, ...]:
    counts, total, day = [], 0, date(year, 1, 1)
    while day.year == year:
        total += calendar.is_workday(day)
        counts.append(total)
        day += ONE_DAY
    return tuple(counts)


@cache
def _year_base(calendar: WorkCalendar, year: int) -> int:
    if year <= RANK_BASE_YEAR:
        return 0
    return _year_base(calendar, year - 1) + _year_prefix(calendar, year - 1)[-1]
