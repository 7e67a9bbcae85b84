"""The scale work of issue 11 on assign, check-completion and plan loading: same results, less read.

`check_completion` is compared with the per-assignment loop it replaced (kept here as the reference) on a
varied fixture: reports before and after their work exists, several occurrences, lists, measured standards."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session, SQLModel, col, select

import models.plan.fields
from models import tables
from models.engine.membership import Members, members_on
from models.engine.rules import Mark, latest_marks, share_reached_on, standards_completed_on
from models.plan.checks import PlanError, parse_plan
from models.plan.schema import Item, Plan
from tasks.db import get_engine, insert_ignoring_duplicates, session_scope, upgrade
from tasks.engine import work
from tasks.engine.completion import assessment_marks, check_completion, pending_reports
from tasks.engine.open_work import open_assignments
from tasks.engine.work import assign, list_members
from tasks.store import load_campaign, stored_plan, sync_plan
from tests.conftest import SMALL_PLAN

NOW = datetime(2022, 1, 3, 1, 0, tzinfo=UTC)
CID = "small-test"


def small(**changes: Any) -> Plan:
    data = yaml.safe_load(SMALL_PLAN.read_text(encoding="utf-8"))
    for change in changes.values():
        change(data)
    return parse_plan(yaml.safe_dump(data, allow_unicode=True))


def varied(data: dict[str, Any]) -> None:
    """Two years, a fourth community, list items every community owns and a standards item for every community."""
    data["campaign"]["end"] = "2023-03-31"
    data["phases"][1]["end"] = "2023-03-31"
    data["communities"].append(
        {
            "id": "c4",
            "name": "社区四",
            "contact": {"name": "四", "email": "c4@t.example"},
            "head": {"name": "书记四", "email": "c4.head@t.example"},
        }
    )
    data["phases"][0]["items"] += [
        {
            "id": "pilot.each",
            "owner": "communities",
            "kind": "list",
            "list": "creation",
            "min_share": 0.5,
            "due": "2022-01-25",
        },
        {"id": "pilot.all", "owner": "communities", "kind": "standards", "due": "2022-01-26"},
    ]
    data["phases"][1]["items"].append(  # its list fills before the phase starts
        {
            "id": "promotion.each",
            "owner": "communities",
            "kind": "list",
            "list": "pilot",
            "min_share": 0.25,
            "due": "2022-02-20",
        }
    )


def fresh(url: str, plan: Plan) -> None:
    upgrade(url)
    with session_scope(url) as session:
        sync_plan(session, plan, actor="test", now=NOW)


def rows_of(session: Session) -> list[tuple[Any, ...]]:
    """Every assignment and the work each report was applied to, by natural keys (ids may differ by backend)."""
    keys = {a.id: (a.item_id, a.assignee, a.occurrence) for a in session.exec(select(tables.Assignment))}
    work = sorted((*keys[a.id], a.due, a.assigned_on, a.completed_on) for a in session.exec(select(tables.Assignment)))
    reports = session.exec(select(tables.CompletionReport).order_by(col(tables.CompletionReport.id)))
    return [*work, *[(r.item_id, r.assignee, r.day, keys.get(r.assignment_id)) for r in reports]]


def reference_check(session: Session, plan: Plan, phase_id: str, day: date) -> int:
    """check_completion as it was: every open assignment of the phase loaded and judged one by one."""
    work = open_assignments(session, plan.campaign.id, phase_id, day)
    items = {i.id: i for _, i in plan.items()}
    marks, members = assessment_marks(session, plan.campaign.id), list_members(session, plan.campaign.id)
    reports = pending_reports(session, plan.campaign.id, day)
    done = 0
    for assignment in work:
        item = items.get(assignment.item_id)
        finished = None if item is None else _old_completed_on(plan, item, assignment, day, marks, members, reports)
        if finished is not None:
            assignment.completed_on = finished
            session.add(assignment)
            done += 1
    return done


def _old_completed_on(
    plan: Plan,
    item: Item,
    assignment: tables.Assignment,
    day: date,
    marks: dict[str, list[tuple[int, Mark]]],
    members: Members,
    reports: dict[tuple[str, str], list[tables.CompletionReport]],
) -> date | None:
    if item.kind == "standards":
        latest = latest_marks(marks.get(assignment.assignee.partition(":")[2], []), day)
        return standards_completed_on(plan.standards, latest, assignment.assigned_on)
    if item.kind == "list":
        on_list = members_on(plan, members, item.list_id or "", day)
        reached = share_reached_on(on_list.values(), item.min_share or 1.0, len(plan.communities))
        return max(reached, assignment.assigned_on) if reached else None
    queue = reports.get((item.id, assignment.assignee))
    if not queue:
        return None
    report = queue.pop(0)
    report.assignment_id = assignment.id
    return max(report.day, assignment.assigned_on)


def random_events(plan: Plan, first: date, days: int, seed: int) -> dict[date, list[SQLModel]]:
    """Reports (some early, some twice), assessments (met, unmet, measured) and list picks, day by day."""
    rng = random.Random(seed)
    who = [f"community:{c.id}" for c in plan.communities] + ["office:lead", "office:works"]
    tasks = [i.id for _, i in plan.items() if i.kind == "task"] + ["gone.item"]
    events: dict[date, list[SQLModel]] = defaultdict(list)
    for n in range(days):
        day = first + timedelta(days=n)
        for _ in range(rng.randint(0, 3)):
            events[day].append(
                tables.CompletionReport(
                    campaign_id=CID,
                    item_id=rng.choice(tasks),
                    assignee=rng.choice(who),
                    day=day + timedelta(days=rng.choice([-3, 0, 0, 2])),
                )
            )
        for _ in range(rng.randint(0, 2)):
            community = rng.choice([*[c.id for c in plan.communities], "works", "c9"])
            value = rng.choice(["met", "met", "unmet", "0.2", "0.45"])
            events[day].append(
                tables.Assessment(
                    campaign_id=CID, community_id=community, standard_id=rng.choice([1, 2]), day=day, value=value
                )
            )
        if rng.random() < 0.2:
            community = rng.choice([c.id for c in plan.communities])
            since = day - timedelta(days=rng.randint(0, 3))
            events[day].append(
                tables.ListMember(
                    campaign_id=CID, list_id=rng.choice(["pilot", "creation"]), community_id=community, since=since
                )
            )
    return events


def record(session: Session, rows: list[SQLModel]) -> None:
    for row in rows:
        if isinstance(row, tables.ListMember):
            keys = ["campaign_id", "list_id", "community_id"]
            insert_ignoring_duplicates(session, tables.ListMember, [row.model_dump(exclude={"id"})], keys)
        else:
            session.add(type(row)(**row.model_dump()))


@pytest.mark.parametrize("seed", [1, 2])
def test_set_based_completion_matches_the_per_assignment_loop(database_url: str, tmp_path: Path, seed: int) -> None:
    plan = small(varied=varied)
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    fresh(reference, plan)
    fresh(database_url, plan)
    first = date(2022, 1, 3)
    events = random_events(plan, first, 120, seed)
    done: dict[str, list[int]] = {"reference": [], "new": []}  # completions each day: none found a day late
    for n in range(450):  # into the second year: a second occurrence of the yearly item
        day = first + timedelta(days=n)
        for url, check, name in ((reference, reference_check, "reference"), (database_url, check_completion, "new")):
            with session_scope(url) as session:
                record(session, events.get(day, []))
                for phase in plan.phases:
                    if phase.start <= day:
                        assign(session, plan, phase.id, day)
                        done[name].append(check(session, plan, phase.id, day))
    with Session(get_engine(reference)) as a, Session(get_engine(database_url)) as b:
        assert rows_of(a) == rows_of(b)
    assert done["reference"] == done["new"] and sum(done["new"]) > 10


def test_assign_creates_work_after_a_list_or_roster_change(sqlite_url: str) -> None:
    plan = small()
    fresh(sqlite_url, plan)
    with session_scope(sqlite_url) as session:
        assert assign(session, plan, "pilot", date(2022, 1, 4)) == 7  # 2 items × 3 communities, 1 office item
        assert assign(session, plan, "pilot", date(2022, 1, 5)) == 0
        members = [{"campaign_id": CID, "list_id": "pilot", "community_id": "c1", "since": date(2022, 1, 7)}]
        insert_ignoring_duplicates(session, tables.ListMember, members, ["campaign_id", "list_id", "community_id"])
        assert assign(session, plan, "pilot", date(2022, 1, 6)) == 0  # on the list from the 7th
        assert assign(session, plan, "pilot", date(2022, 1, 7)) == 1  # pilot.meet for c1
    grown = small(c4=lambda data: data["communities"].append({**data["communities"][0], "id": "c4"}))
    with session_scope(sqlite_url) as session:
        sync_plan(session, grown, actor="test", now=NOW)
        assert assign(session, grown, "pilot", date(2022, 1, 10)) == 2
        assert assign(session, grown, "pilot", date(2022, 1, 11)) == 0


def test_assign_after_a_rolled_back_run_creates_the_work_again(sqlite_url: str) -> None:
    plan = small()
    fresh(sqlite_url, plan)
    with Session(get_engine(sqlite_url)) as session:
        assert assign(session, plan, "pilot", date(2022, 1, 4)) == 7
        session.rollback()  # as a preview does
    with session_scope(sqlite_url) as session:
        assert assign(session, plan, "pilot", date(2022, 1, 4)) == 7


def test_an_unchanged_day_reads_no_work_even_in_a_new_process(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scheduled runs are processes of their own: what assign last followed from is kept in the database."""
    plan = small()
    fresh(database_url, plan)
    with session_scope(database_url) as session:
        assert assign(session, plan, "pilot", date(2022, 1, 4)) == 7

    def refuse(*_args: object) -> int:
        raise AssertionError("the phase's work was read again")

    monkeypatch.setattr(work, "_create_missing", refuse)
    get_engine(database_url).dispose()  # nothing kept in this process's connections either
    with session_scope(database_url) as session:
        assert assign(session, plan, "pilot", date(2022, 1, 5)) == 0


def test_the_plan_is_parsed_once_per_digest(sqlite_url: str) -> None:
    plan = small()
    fresh(sqlite_url, plan)
    with session_scope(sqlite_url) as session:
        first = load_campaign(session, CID)
        assert load_campaign(session, CID) is first
    moved = small(due=lambda data: data["phases"][0]["items"][0].update(due="2022-01-13"))
    with session_scope(sqlite_url) as session:
        sync_plan(session, moved, actor="test", now=NOW)
    with session_scope(sqlite_url) as session:
        again = load_campaign(session, CID)
    assert again is not first and again.items()[0][1].due == date(2022, 1, 13)


def test_a_stored_plan_is_not_checked_again_but_a_loaded_one_is(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = small()
    fresh(sqlite_url, plan)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an address checked again")

    monkeypatch.setattr(models.plan.fields, "validate_email", refuse)
    with session_scope(sqlite_url) as session:
        campaign = session.get(tables.Campaign, CID)
        assert campaign is not None
        assert stored_plan(campaign).model_dump() == plan.model_dump()
    with pytest.raises(PlanError, match="checked again"):
        small()  # a plan loaded from its file is checked in full
    monkeypatch.undo()
    bad = SMALL_PLAN.read_text(encoding="utf-8").replace("c1@t.example", "c1 at t.example")
    with pytest.raises(PlanError, match="not a valid e-mail address"):
        parse_plan(bad)


def test_open_work_follows_a_changed_due_day_unless_extended(database_url: str) -> None:
    plan = small()
    fresh(database_url, plan)
    with session_scope(database_url) as session:
        assign(session, plan, "pilot", date(2022, 1, 4))
        work = {
            a.assignee: a
            for a in session.exec(select(tables.Assignment).where(tables.Assignment.item_id == "pilot.plan"))
        }
        work["community:c2"].completed_on = date(2022, 1, 5)
        extended = work["community:c3"]
        session.add(
            tables.Extension(
                campaign_id=CID,
                assignment_id=extended.id or 0,
                day=date(2022, 1, 5),
                previous_due=extended.due,
                new_due=date(2022, 1, 21),
                status="approved",
                reason="test",
            )
        )
        extended.due = date(2022, 1, 21)
    moved = small(due=lambda data: data["phases"][0]["items"][0].update(due="2022-01-18"))
    with session_scope(database_url) as session:
        sync_plan(session, moved, actor="test", now=NOW)
    with session_scope(database_url) as session:
        dues = {
            a.assignee: a.due
            for a in session.exec(select(tables.Assignment).where(tables.Assignment.item_id == "pilot.plan"))
        }
    assert dues == {
        "community:c1": date(2022, 1, 18),
        "community:c2": date(2022, 1, 14),
        "community:c3": date(2022, 1, 21),
    }
