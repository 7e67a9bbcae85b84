"""Claims (办结申报) and extensions (延期) through the engine, across the 2022 Spring Festival (SPEC §2, §4).

The small plan: pilot.plan is due Friday 2022-01-14; 2022-01-31 → 02-06 is off, 01-29 and 01-30 are worked.
"""

from __future__ import annotations

from typing import Any

import pytest

from models.plan.schema import Plan
from models.records.progress import ProgressError
from tests.test_engine import notices, plan, simulate

__all__ = ["plan"]  # the fixture


def assignment(report: dict[str, Any], item: str, assignee: str) -> dict[str, Any]:
    return next(a for a in report["assignments"] if a["item"] == item and a["assignee"] == assignee)


def test_a_pending_claim_holds_the_ladder_and_a_rejection_resumes_it_at_the_stage_reached(plan: Plan) -> None:
    report = simulate(
        plan,
        "2022-01-04",
        "2022-01-28",
        "2022-01-13,claim,community:c1,pilot.plan,已完成",
        "2022-01-24,reject,community:c1,pilot.plan,材料不全",
    )
    assert notices(report, "pilot.plan", "community:c1") == [
        ("2022-01-11", "remind-3", 0),  # the claim of 01-13 holds remind-1 and the overdue stages …
        ("2022-01-24", "overdue-3", 0),  # … until rejected: 6 working days late, the highest stage once
        ("2022-01-27", "overdue-3", 1),  # then the top stage repeats as before (5 + 4)
    ]


def test_a_confirmed_claim_completes_on_the_claims_day(plan: Plan) -> None:
    report = simulate(
        plan,
        "2022-01-04",
        "2022-01-28",
        "2022-01-17,claim,community:c2,pilot.plan,",
        "2022-01-20,confirm,community:c2,pilot.plan,同意",
    )
    assert assignment(report, "pilot.plan", "community:c2")["completed_on"] == "2022-01-17"
    assert notices(report, "pilot.plan", "community:c2") == [
        ("2022-01-11", "remind-3", 0),
        ("2022-01-13", "remind-1", 0),
    ]


def test_a_complete_row_wins_over_a_pending_claim(plan: Plan) -> None:
    report = simulate(
        plan,
        "2022-01-04",
        "2022-01-28",
        "2022-01-13,claim,community:c3,pilot.plan,",
        "2022-01-18,complete,community:c3,pilot.plan,",
    )
    assert assignment(report, "pilot.plan", "community:c3")["completed_on"] == "2022-01-18"
    assert notices(report, "pilot.plan", "community:c3") == [("2022-01-11", "remind-3", 0)]


def test_an_extension_restarts_every_stage_from_the_new_due_day_across_the_holiday(plan: Plan) -> None:
    report = simulate(plan, "2022-01-04", "2022-02-14", "2022-01-12,extend,community:c1,pilot.plan,2022-02-08")
    assert notices(report, "pilot.plan", "community:c1") == [
        ("2022-01-11", "remind-3", 0),  # sent before the extension: stays sent
        ("2022-01-12", "extended", 1),
        ("2022-01-29", "remind-3", 0),  # 3 working days before 02-08: 02-07, Sunday 01-30, Saturday 01-29
        ("2022-02-07", "remind-1", 0),
        ("2022-02-09", "overdue-1", 0),  # overdue days count from the new due day
        ("2022-02-11", "overdue-2", 0),
    ]
    assert assignment(report, "pilot.plan", "community:c1")["due"] == "2022-02-08"


def test_an_extension_dated_in_the_holiday_is_announced_on_the_first_working_day_after(plan: Plan) -> None:
    report = simulate(
        plan,
        "2022-01-04",
        "2022-02-28",
        "2022-02-01,extend,community:c2,pilot.plan,2022-02-15",
        "2022-02-10,extend,community:c2,pilot.plan,2022-02-18",
    )
    assert notices(report, "pilot.plan", "community:c2") == [
        ("2022-01-11", "remind-3", 0),
        ("2022-01-13", "remind-1", 0),
        ("2022-01-17", "overdue-1", 0),
        ("2022-01-19", "overdue-2", 0),
        ("2022-01-21", "overdue-3", 0),
        ("2022-01-27", "overdue-3", 1),
        ("2022-02-07", "extended", 1),  # dated 02-01, in the Spring Festival break
        ("2022-02-10", "extended", 2),  # the second extension of the assignment; remind-3 for 02-15 is gone
        ("2022-02-15", "remind-3", 0),  # 3 working days before 02-18
        ("2022-02-17", "remind-1", 0),
        ("2022-02-21", "overdue-1", 0),
        ("2022-02-23", "overdue-2", 0),
        ("2022-02-25", "overdue-3", 0),
    ]


def test_extended_and_assigned_notices_go_to_the_assignee(plan: Plan) -> None:
    report = simulate(plan, "2022-01-04", "2022-01-12", "2022-01-12,extend,community:c1,pilot.plan,2022-02-08")
    handed = [
        n for n in report["notices"] if n["assignee"] == "community:c1" and n["stage"] in ("assigned", "extended")
    ]
    assert sorted((n["date"], n["item"], n["stage"], n["recipients"]) for n in handed) == [
        ("2022-01-04", "pilot.apply", "assigned", ["c1@t.example"]),
        ("2022-01-04", "pilot.plan", "assigned", ["c1@t.example"]),
        ("2022-01-12", "pilot.plan", "extended", ["c1@t.example"]),
    ]


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (
            ["2022-01-10,confirm,community:c1,pilot.plan,"],
            "row 2: confirm pilot.plan for community:c1: no pending claim",
        ),
        (["2022-01-10,extend,community:c1,pilot.plan,2022-01-14"], "not after the current due day 2022-01-14"),
        (
            ["2022-01-10,complete,community:c1,pilot.plan,", "2022-01-12,extend,community:c1,pilot.plan,2022-02-08"],
            "row 3: extend pilot.plan for community:c1: no open assignment",
        ),
        (["2022-01-12,claim,community:c1,promotion.report,"], "no open assignment of promotion.report"),
    ],
)
def test_bad_claims_and_extensions_are_refused_naming_the_row(plan: Plan, rows: list[str], problem: str) -> None:
    with pytest.raises(ProgressError) as refused:
        simulate(plan, "2022-01-04", "2022-01-14", *rows)
    assert any(problem in line for line in refused.value.problems), refused.value.problems


def test_a_claim_on_a_standards_item_is_refused_when_read(plan: Plan) -> None:
    with pytest.raises(ProgressError, match=r"row 2 \(cell D2\): target: 'pilot\.meet' is a standards item"):
        simulate(plan, "2022-01-04", "2022-01-05", "2022-01-05,claim,community:c1,pilot.meet,")
