"""The escalation and completion rules of SPEC §2-§4, as tables of cases."""

from datetime import date, timedelta

import pytest

from models.engine.rules import (
    Mark,
    latest_marks,
    required_count,
    share_reached_on,
    stage_due,
    standards_completed_on,
)
from models.plan.schema import Escalation, Standard
from models.plan.workcal import WorkCalendar
from models.vocabulary import Role

D = date.fromisoformat
CN = WorkCalendar("cn-workdays")
POLICY = Escalation.model_validate(
    {
        "reminders": [{"before": 3, "notify": ["assignee"]}, {"before": 1, "notify": ["assignee"]}],
        "ladder": [
            {"after": 1, "notify": ["assignee", "supervisors"]},
            {"after": 3, "notify": ["assignee_head", "supervisor_heads"]},
            {"after": 7, "notify": ["leading_group_office"]},
            {"after": 15, "notify": ["leader"]},
        ],
        "repeat_every": 10,
    }
)


def stage(due: str, day: str, optional: bool = False) -> tuple[str, int] | None:
    hit = stage_due(due=D(due), day=D(day), calendar=CN, escalation=POLICY, optional=optional)
    return (str(hit.stage), hit.cycle) if hit else None


@pytest.mark.parametrize(
    ("due", "day", "expected"),
    [
        # due 2022-02-08: reminders on the 3rd and 1st working day before, across the Spring Festival
        ("2022-02-08", "2022-01-29", ("remind-3", 0)),  # worked Saturday (调休)
        ("2022-02-08", "2022-02-07", ("remind-1", 0)),
        ("2022-02-08", "2022-01-30", None),  # 2nd working day before: no reminder configured
        ("2022-02-08", "2022-01-28", None),  # 4th
        ("2022-02-08", "2022-02-08", None),  # the due day itself
        # due 2022-01-28 (Friday before the break)
        ("2022-01-28", "2022-01-29", ("overdue-1", 0)),  # 1 working day late, on a worked Saturday
        ("2022-01-28", "2022-02-01", None),  # a holiday: no notice at all
        ("2022-01-28", "2022-02-07", ("overdue-2", 0)),  # 3 working days late
        ("2022-01-28", "2022-02-11", ("overdue-3", 0)),  # 7
        ("2022-01-28", "2022-02-22", ("overdue-3", 0)),  # 14
        ("2022-01-28", "2022-02-23", ("overdue-4", 0)),  # 15
        ("2022-01-28", "2022-03-08", ("overdue-4", 0)),  # 24: not yet a repeat
        ("2022-01-28", "2022-03-09", ("overdue-4", 1)),  # 25 = 15 + 1·10
        ("2022-01-28", "2022-03-23", ("overdue-4", 2)),  # 35 = 15 + 2·10
    ],
)
def test_the_one_stage_due_on_a_day(due: str, day: str, expected: tuple[str, int] | None) -> None:
    assert stage(due, day) == expected


def test_a_run_missed_for_days_sends_only_the_highest_stage_reached() -> None:
    # nothing ran between the due day and 12 working days later: the single notice is stage 3
    assert stage("2022-03-01", "2022-03-17") == ("overdue-3", 0)


def test_a_missed_repeat_day_sends_the_highest_cycle_reached() -> None:
    # 15 + 2·10 = 35 working days is cycle 2; day 38 without a run in between still says cycle 2
    due = D("2022-03-01")
    day = due
    for _ in range(38):
        day += timedelta(days=1)
        while not CN.is_workday(day):
            day += timedelta(days=1)
    assert CN.workdays_after(due, day) == 38
    assert stage("2022-03-01", day.isoformat()) == ("overdue-4", 2)


def test_optional_items_get_reminders_only() -> None:
    assert stage("2022-02-08", "2022-02-07", optional=True) == ("remind-1", 0)
    assert stage("2022-01-28", "2022-02-07", optional=True) is None


def test_no_notice_on_a_non_working_day() -> None:
    assert stage("2022-03-01", "2022-03-05") is None  # Saturday


@pytest.mark.parametrize(("share", "total", "needed"), [(0.25, 12, 3), (0.30, 10, 3), (0.60, 12, 8), (0.6, 10, 6)])
def test_required_counts_use_exact_shares(share: float, total: int, needed: int) -> None:
    assert required_count(share, total) == needed


def test_a_list_item_completes_the_day_the_list_reaches_its_share() -> None:
    joined = [D("2022-01-05"), D("2022-01-03"), D("2022-01-10")]
    assert share_reached_on(joined, 0.25, 12) == D("2022-01-10")
    assert share_reached_on(joined[:2], 0.25, 12) is None


STANDARDS = [
    Standard(id=1, area=1, text="a"),
    Standard.model_validate({"id": 12, "area": 4, "text": "b", "measure": {"min": 0.30}}),
]


def marks(*rows: tuple[int, str, int, str]) -> dict[int, Mark]:
    return latest_marks([(s, Mark(D(day), seq, value)) for s, day, seq, value in rows], D("2022-12-31"))


def test_standards_complete_on_the_last_assessment_that_made_them_all_met() -> None:
    latest = marks((1, "2022-01-05", 1, "met"), (12, "2022-01-10", 2, "0.35"))
    assert standards_completed_on(STANDARDS, latest, D("2022-01-01")) == D("2022-01-10")


def test_a_measured_standard_below_its_minimum_is_unmet() -> None:
    latest = marks((1, "2022-01-05", 1, "met"), (12, "2022-01-10", 2, "0.29"))
    assert standards_completed_on(STANDARDS, latest, D("2022-01-01")) is None


def test_the_latest_assessment_of_a_standard_counts() -> None:
    latest = marks((1, "2022-01-05", 1, "met"), (12, "2022-01-10", 2, "0.35"), (12, "2022-01-12", 3, "0.20"))
    assert standards_completed_on(STANDARDS, latest, D("2022-01-01")) is None


def test_standards_met_before_the_assignment_complete_on_the_day_assigned() -> None:
    latest = marks((1, "2022-01-05", 1, "met"), (12, "2022-01-06", 2, "met"))
    assert standards_completed_on(STANDARDS, latest, D("2022-02-01")) == D("2022-02-01")


def test_an_office_is_told_to_do_its_own_item_not_to_supervise_it() -> None:
    from deployments.plan_file import load_plan
    from models.engine.rules import addressee, recipients
    from tests.conftest import SEED_PLAN

    seed = load_plan(SEED_PLAN)
    own = addressee(seed, "office:community_development_office")
    people = recipients(
        seed, [Role.ASSIGNEE, Role.SUPERVISORS], own, ["community_development_office", "education_office"]
    )
    assert people["cdo.liaison@qingyang.example"][0] == "assignee"
    assert people["edu.liaison@qingyang.example"][0] == "supervisors"
