"""Working days: China's 2022 Spring Festival with its 调休 weekend, weekdays, overrides, fallback."""

from datetime import date

import pytest

from models.plan.workcal import WorkCalendar, cn_calendar_years, uncovered_years

CN = WorkCalendar("cn-workdays")
D = date.fromisoformat


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2022-01-28", True),  # Friday before the break
        ("2022-01-29", True),  # Saturday worked (调休)
        ("2022-01-30", True),  # Sunday worked (调休)
        ("2022-01-31", False),  # Spring Festival break 01-31 → 02-06
        ("2022-02-03", False),
        ("2022-02-06", False),
        ("2022-02-07", True),
        ("2022-10-01", False),  # National Day
        ("2022-10-08", True),  # Saturday worked after National Day
    ],
)
def test_cn_workdays_follow_the_official_calendar(day: str, working: bool) -> None:
    assert CN.is_workday(D(day)) is working


@pytest.mark.parametrize(
    ("due", "day", "overdue"),
    [
        ("2022-01-28", "2022-01-28", 0),
        ("2022-01-28", "2022-01-30", 2),  # the worked weekend counts
        ("2022-01-28", "2022-02-06", 2),  # the break does not
        ("2022-01-28", "2022-02-07", 3),
        ("2022-01-31", "2022-02-07", 1),  # due on a holiday: the first working day after is day 1
    ],
)
def test_overdue_days_count_working_days_after_the_due_day(due: str, day: str, overdue: int) -> None:
    assert CN.workdays_after(D(due), D(day)) == overdue


@pytest.mark.parametrize(
    ("due", "k", "day"),
    [
        ("2022-02-08", 1, "2022-02-07"),
        ("2022-02-08", 2, "2022-01-30"),  # back across the break to the worked Sunday
        ("2022-02-08", 4, "2022-01-28"),
        ("2022-02-08", 0, "2022-02-08"),
    ],
)
def test_kth_working_day_before_the_due_day(due: str, k: int, day: str) -> None:
    assert CN.workday_before(D(due), k) == D(day)


def test_weekdays_and_calendar_days() -> None:
    assert not WorkCalendar("weekdays").is_workday(D("2022-01-29"))
    assert WorkCalendar("weekdays").is_workday(D("2022-01-31"))
    assert WorkCalendar("calendar-days").is_workday(D("2022-01-31"))


def test_overrides_win_over_every_kind() -> None:
    calendar = WorkCalendar("cn-workdays", holidays=frozenset({D("2022-01-28")}), workdays=frozenset({D("2022-02-03")}))
    assert not calendar.is_workday(D("2022-01-28"))
    assert calendar.is_workday(D("2022-02-03"))


def test_years_without_official_data_fall_back_to_weekdays() -> None:
    year = cn_calendar_years().stop + 1
    saturday = next(D(f"{year}-01-{d:02d}") for d in range(1, 8) if D(f"{year}-01-{d:02d}").weekday() == 5)
    assert not CN.is_workday(saturday)
    assert uncovered_years([2022, year], []) == [year]
    assert uncovered_years([2022, year], [D(f"{year}-05-01")]) == []
