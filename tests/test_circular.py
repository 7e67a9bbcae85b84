"""The monthly 通报: ranks with ties and idle offices, rates, 公文 wording, and its day in the calendar."""

from __future__ import annotations

import re
from datetime import date
from fractions import Fraction

import pytest

from models import tables
from models.mail.wording import cn_date, percent
from models.plan.checks import parse_plan
from models.plan.workcal import WorkCalendar
from models.reports.circular import Tally, competition_ranks, first_workday_of_month, ranked, tally
from tests.conftest import SMALL_PLAN

D = date.fromisoformat
PLAN = parse_plan(SMALL_PLAN.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("keys", "ranks"),
    [
        ([], []),
        ([(1,)], [1]),
        ([(1,), (2,), (3,)], [1, 2, 3]),
        ([(1,), (1,), (2,)], [1, 1, 3]),  # a tie shares the rank, the next skips
        ([(2,), (1,), (2,), (1,)], [3, 1, 3, 1]),
        ([(1, 0), (1, 2), (1, 0)], [1, 3, 1]),  # later keys break the tie
        ([(5,), (5,), (5,)], [1, 1, 1]),
    ],
)
def test_competition_ranks(keys: list[tuple[int, ...]], ranks: list[int]) -> None:
    assert competition_ranks(keys) == ranks


def t(name: str, duties: int, on_time: int, overdue_open: int = 0, days: int = 0) -> Tally:
    return Tally(f"office:{name}", name, duties, on_time, overdue_open, days, days)


@pytest.mark.parametrize(
    ("tallies", "expected"),
    [
        # rate first: 2/2 beats 3/4 beats 0/1
        ([t("乙", 4, 3), t("甲", 2, 2), t("丙", 1, 0)], [(1, "甲"), (2, "乙"), (3, "丙")]),
        # equal rates tie; names order the tied ones; the next rank skips
        ([t("乙", 2, 1), t("甲", 4, 2), t("丙", 1, 0)], [(1, "乙"), (1, "甲"), (3, "丙")]),
        # same rate: fewer open overdue items first, then fewer days late
        ([t("甲", 2, 1, 1, 5), t("乙", 2, 1, 0, 9), t("丙", 2, 1, 1, 2)], [(1, "乙"), (2, "丙"), (3, "甲")]),
        # nothing due: listed last, unranked, never 100%
        ([t("甲", 0, 0), t("乙", 1, 0), t("丙", 0, 0)], [(1, "乙"), (None, "丙"), (None, "甲")]),
        ([t("甲", 0, 0)], [(None, "甲")]),
    ],
)
def test_ranked(tallies: list[Tally], expected: list[tuple[int | None, str]]) -> None:
    assert [(r.rank, r.tally.name) for r in ranked(tallies)] == expected


def test_a_tally_with_nothing_due_has_no_rate() -> None:
    assert t("甲", 0, 0).rate is None and t("甲", 4, 3).rate == Fraction(3, 4)


@pytest.mark.parametrize(
    ("share", "text"),
    [(Fraction(1, 4), "25%"), (Fraction(2, 3), "66.7%"), (Fraction(1, 8), "12.5%"), (Fraction(0), "0%"), (0.6, "60%")],
)
def test_percent(share: Fraction | float, text: str) -> None:
    assert percent(share) == text


def test_dates_read_as_a_document_writes_them() -> None:
    assert cn_date(D("2022-03-01")) == "2022年3月1日"


@pytest.mark.parametrize(
    ("calendar", "day", "first"),
    [
        ("cn-workdays", "2022-02-15", "2022-02-07"),  # 春节 2022-01-31 → 02-06
        ("cn-workdays", "2022-10-20", "2022-10-08"),  # 国庆, and 10-08 a worked Saturday
        ("cn-workdays", "2022-03-20", "2022-03-01"),
        ("weekdays", "2022-10-20", "2022-10-03"),
        ("calendar-days", "2022-10-20", "2022-10-01"),
    ],
)
def test_first_working_day_of_the_month(calendar: str, day: str, first: str) -> None:
    assert first_workday_of_month(WorkCalendar(calendar), D(day)) == D(first)  # type: ignore[arg-type]


def a(item: str, who: str, due: str, done: str | None = None, assigned: str = "2022-01-04") -> tables.Assignment:
    return tables.Assignment(
        campaign_id="small-test",
        item_id=item,
        phase_id="pilot",
        assignee=who,
        due=D(due),
        assigned_on=D(assigned),
        completed_on=D(done) if done else None,
    )


def test_tally_counts_duties_due_before_the_day_as_of_that_day() -> None:
    rows = [
        a("pilot.plan", "community:c1", "2022-01-14", "2022-01-14"),  # on time (the due day counts)
        a("pilot.plan", "community:c2", "2022-01-14", "2022-01-18"),  # 2 working days late, done
        a("pilot.plan", "community:c3", "2022-01-14"),  # open: 10 working days late on 01-28
        a("pilot.apply", "community:c1", "2022-01-10"),  # optional: no duty
        a("pilot.select", "office:lead", "2022-01-20", "2022-02-08"),  # done after the day: still open then
        a("pilot.meet", "community:c1", "2022-01-28"),  # due on the day: not yet a duty
    ]
    keys = [(f"community:c{n}", f"社区{n}") for n in (1, 2, 3)] + [
        ("office:lead", "牵头办"),
        ("office:works", "工程办"),
    ]
    got = {
        x.key: (x.duties, x.on_time, x.overdue_open, x.overdue_days, x.longest)
        for x in tally(PLAN, rows, D("2022-01-28"), keys)
    }
    assert got == {
        "community:c1": (1, 1, 0, 0, 0),
        "community:c2": (1, 0, 0, 2, 2),
        "community:c3": (1, 0, 1, 10, 10),
        "office:lead": (1, 0, 1, 6, 6),
        "office:works": (0, 0, 0, 0, 0),
    }


LATIN_OR_ISO = re.compile(r"[A-Za-z]|\d{4}-\d{1,2}-\d{1,2}")
