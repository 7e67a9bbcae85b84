"""The engine through `run_simulation` (the flows' own steps) on the small plan: SPEC §2-§4 end to end."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from models.plan.checks import parse_plan
from models.plan.schema import Plan
from models.records.progress import parse_rows
from tasks.simulate.replay import run_simulation
from tests.conftest import SMALL_PLAN

D = date.fromisoformat
C1, C2, C3 = "c1@t.example", "c2@t.example", "c3@t.example"
DIRECTOR, LEADER = "director@t.example", "leader@t.example"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return parse_plan(SMALL_PLAN.read_text(encoding="utf-8"))


def simulate(plan: Plan, first: str, last: str, *rows: str) -> dict[str, Any]:
    raw = [
        (
            n,
            dict(zip(("date", "action", "assignee", "target", "value"), ([*r.split(","), ""])[:5], strict=True)),
        )
        for n, r in enumerate(rows, start=2)
    ]
    return run_simulation(plan, D(first), D(last), parse_rows(raw, plan)).report


def notices(
    report: dict[str, Any], item: str | None = None, assignee: str | None = None, *, handover: bool = False
) -> list[tuple[str, str, int]]:
    """The notices of an item and assignee; the 交办 notices only when asked (`handover`)."""
    return [
        (n["date"], n["stage"], n["cycle"])
        for n in report["notices"]
        if (item is None or n["item"] == item)
        and (assignee is None or n["assignee"] == assignee)
        and (handover or n["stage"] != "assigned")
    ]


def test_reminders_then_the_ladder_then_repeats(plan: Plan) -> None:
    report = simulate(plan, "2022-01-04", "2022-02-28")
    assert notices(report, "pilot.plan", "community:c1") == [
        ("2022-01-11", "remind-3", 0),
        ("2022-01-13", "remind-1", 0),
        ("2022-01-17", "overdue-1", 0),  # 1 working day after Friday 01-14
        ("2022-01-19", "overdue-2", 0),  # 3
        ("2022-01-21", "overdue-3", 0),  # 5 (top stage)
        ("2022-01-27", "overdue-3", 1),  # 9 = 5 + 4
        ("2022-02-07", "overdue-3", 2),  # 13: the 调休 weekend 01-29/30 counts, the break does not
        ("2022-02-11", "overdue-3", 3),
        ("2022-02-17", "overdue-3", 4),
        ("2022-02-23", "overdue-3", 5),
    ]


def test_recipients_climb_the_chain(plan: Plan) -> None:
    report = simulate(plan, "2022-01-04", "2022-01-21")
    sent = {
        (n["stage"]): n["recipients"]
        for n in report["notices"]
        if n["item"] == "pilot.plan" and n["assignee"] == "community:c1"
    }
    assert sent["remind-3"] == [C1]
    assert sent["overdue-1"] == [C1, "lead.liaison@t.example"]
    assert sent["overdue-2"] == ["c1.head@t.example", "lead.head@t.example"]
    assert sent["overdue-3"] == [DIRECTOR]


def test_completion_stops_notices_from_that_day(plan: Plan) -> None:
    report = simulate(plan, "2022-01-04", "2022-01-31", "2022-01-12,complete,community:c2,pilot.plan")
    assert notices(report, "pilot.plan", "community:c2") == [("2022-01-11", "remind-3", 0)]
    done = [a for a in report["assignments"] if a["item"] == "pilot.plan" and a["assignee"] == "community:c2"]
    assert done[0]["completed_on"] == "2022-01-12"


def test_optional_items_get_reminders_only(plan: Plan) -> None:
    report = simulate(plan, "2022-01-04", "2022-01-31")
    assert {stage for _, stage, _ in notices(report, "pilot.apply")} == {"remind-3", "remind-1"}


def test_lists_grow_and_their_members_get_the_work(plan: Plan) -> None:
    report = simulate(
        plan,
        "2022-01-04",
        "2022-01-12",
        "2022-01-05,select,community:c1,pilot",
        "2022-01-10,select,community:c3,pilot",
    )
    assigned = {a["assignee"]: a["assigned_on"] for a in report["assignments"] if a["item"] == "pilot.meet"}
    assert assigned == {"community:c1": "2022-01-05", "community:c3": "2022-01-10"}
    select = next(a for a in report["assignments"] if a["item"] == "pilot.select")
    assert select["completed_on"] == "2022-01-05"  # 0.30 of 3 communities is 1


def test_standards_complete_on_the_assessment_that_made_them_all_met(plan: Plan) -> None:
    report = simulate(
        plan,
        "2022-01-04",
        "2022-01-31",
        "2022-01-05,select,community:c1,pilot",
        "2022-01-06,assess,community:c1,1,met",
        "2022-01-12,assess,community:c1,2,0.25",
        "2022-01-13,assess,community:c1,2,0.31",
    )
    meet = next(a for a in report["assignments"] if a["item"] == "pilot.meet")
    assert meet["completed_on"] == "2022-01-13"


def test_a_standards_item_escalates_to_the_offices_of_its_unmet_areas(plan: Plan) -> None:
    report = simulate(
        plan,
        "2022-01-04",
        "2022-01-31",
        "2022-01-05,select,community:c2,pilot",
        "2022-01-06,assess,community:c2,1,met",
    )
    first = next(n for n in report["notices"] if n["item"] == "pilot.meet" and n["stage"] == "overdue-1")
    assert first["recipients"] == [C2, "works.liaison@t.example"]  # area 2 (standard 2) only, not area 1


def test_a_missed_target_is_reported_on_the_next_working_day(plan: Plan) -> None:
    report = simulate(plan, "2022-01-04", "2022-02-10")
    missed = [n for n in report["notices"] if n["stage"] == "target-missed"]
    assert [(n["date"], n["item"], n["recipients"]) for n in missed] == [("2022-02-07", "pilot-t", [DIRECTOR, LEADER])]
    assert report["targets"][0] == {
        "id": "pilot-t",
        "by": "2022-01-31",
        "required": 1,
        "achieved": 0,
        "met": False,
        "state": "missed",
        "label": "未达成",
    }


def test_a_met_target_sends_nothing(plan: Plan) -> None:
    report = simulate(
        plan,
        "2022-01-04",
        "2022-02-10",
        "2022-01-05,select,community:c1,pilot",
        "2022-01-06,assess,community:c1,1,met",
        "2022-01-06,assess,community:c1,2,met",
    )
    assert report["targets"][0]["met"] is True
    assert not [n for n in report["notices"] if n["stage"] == "target-missed"]


def test_one_digest_per_recipient_per_run(plan: Plan) -> None:
    report = simulate(plan, "2022-01-04", "2022-01-31")
    runs = [(e["date"], e["phase"], e["to"]) for e in report["emails"]]
    assert len(runs) == len(set(runs))
    jan_11 = next(e for e in report["emails"] if e["date"] == "2022-01-11" and e["to"] == C1)
    assert {n["item"] for n in jan_11["notices"]} == {"pilot.plan"}
    jan_17 = next(e for e in report["emails"] if e["date"] == "2022-01-17" and e["to"] == C1)
    assert len(jan_17["notices"]) == 1
    assert sum(len(e["notices"]) for e in report["emails"] if e["to"] == C1) == len(
        [n for n in report["notices"] if C1 in n["recipients"]]
    )


def test_no_notice_on_a_non_working_day(plan: Plan) -> None:
    report = simulate(plan, "2022-01-04", "2022-02-28")
    calendar = plan.calendar()
    assert all(calendar.is_workday(D(n["date"])) for n in report["notices"])
    assert "2022-02-01" not in {n["date"] for n in report["notices"]}


def test_a_yearly_item_completed_before_it_is_assigned(plan: Plan) -> None:
    report = simulate(plan, "2022-01-04", "2022-03-31", "2022-01-20,complete,community:c1,promotion.report")
    yearly = {a["assignee"]: a for a in report["assignments"] if a["item"] == "promotion.report"}
    assert yearly["community:c1"]["occurrence"] == 2022 and yearly["community:c1"]["due"] == "2022-03-15"
    assert yearly["community:c1"]["completed_on"] == "2022-02-01"
    assert yearly["community:c2"]["completed_on"] is None
    assert not notices(report, "promotion.report", "community:c1")
    assert notices(report, "promotion.report", "community:c2")[0] == ("2022-03-10", "remind-3", 0)


def test_items_stay_open_and_escalate_after_their_phase_ends(plan: Plan) -> None:
    report = simulate(plan, "2022-01-04", "2022-03-31")
    assert max(d for d, _, _ in notices(report, "pilot.plan", "community:c3")) > "2022-01-31"


def test_no_notices_after_the_campaign_end(plan: Plan) -> None:
    report = simulate(plan, "2022-03-20", "2022-04-15")
    assert max(n["date"] for n in report["notices"]) <= "2022-03-31"


def test_runs_missed_for_days_catch_up_with_only_the_highest_stage(plan: Plan, sqlite_url: str) -> None:
    from datetime import UTC, datetime

    from tasks.day_run import run_day
    from tasks.db import session_scope, upgrade
    from tasks.reports.report import notices_report
    from tasks.store import sync_plan

    upgrade(sqlite_url)
    with session_scope(sqlite_url) as session:
        sync_plan(session, plan, actor="test", now=datetime.now(UTC))
    for day in ("2022-01-04", "2022-01-21", "2022-01-21"):  # nothing ran 01-05 → 01-20; 01-21 re-run
        with session_scope(sqlite_url) as session:
            run_day(session, plan, "pilot", D(day), mail_from="g@t.example")
    with session_scope(sqlite_url) as session:
        sent = [
            (n["stage"], n["cycle"])
            for n in notices_report(session, plan.campaign.id)
            if n["item"] == "pilot.plan" and n["assignee"] == "community:c1"
        ]
    # 交办 on 01-04; then 5 working days late: the top stage once, no burst of 1 and 2
    assert sent == [("assigned", 0), ("overdue-3", 0)]
