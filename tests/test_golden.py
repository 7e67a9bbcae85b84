"""The example year of the seed campaign, replayed and compared with its golden report.

`deployments/examples/qingyang-2022-events.csv` is a believable year of the Qingyang campaign (2021-12-01 →
2022-12-31); `tests/golden/qingyang-2022-report.json` is the report of

    greencomm simulate deployments/plans/qingyang-2022.yaml --from 2021-12-01 --to 2022-12-31 \
        --events deployments/examples/qingyang-2022-events.csv --report tests/golden/qingyang-2022-report.json

The test replays the same year through `tasks.simulate.replay.run_simulation` and compares `notices`,
`assignments` and `targets` exactly, and `emails` on (date, phase, to, notices): subjects, Message-IDs
(which depend on GREENCOMM_MAIL_FROM) and delivery status are left out. A failure names the first
differing entry.

When a rule change is intended, rewrite the golden file instead of comparing:

    UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/test_golden.py

then review the diff of the golden file (and `docs/walkthrough.md`, which quotes five of its notices)
before committing it.
"""

from __future__ import annotations

import json
import os
from datetime import date
from typing import Any

import pytest

from deployments.plan_file import load_plan
from models.plan.schema import Plan
from models.plan.workcal import WorkCalendar
from models.records.progress import parse_rows
from tasks.records.progress import read_rows
from tasks.simulate.replay import run_simulation
from tests.conftest import ROOT, SEED_PLAN

EVENTS = ROOT / "deployments" / "examples" / "qingyang-2022-events.csv"
GOLDEN = ROOT / "tests" / "golden" / "qingyang-2022-report.json"
FIRST, LAST = date(2021, 12, 1), date(2022, 12, 31)
EXACT_SECTIONS = ("notices", "assignments", "targets")
EMAIL_FIELDS = ("date", "phase", "to", "notices")


@pytest.fixture(scope="module")
def seed_plan() -> Plan:
    return load_plan(SEED_PLAN)


@pytest.fixture(scope="module")
def report(seed_plan: Plan) -> dict[str, Any]:
    """The simulated year (about forty seconds, most of it drawing the reports' charts): run once for the module."""
    rows = parse_rows(read_rows(EVENTS), seed_plan)
    return run_simulation(seed_plan, FIRST, LAST, rows).report


def emails_compared(emails: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The fields of an e-mail the golden comparison holds fixed."""
    return [{field: email[field] for field in EMAIL_FIELDS} for email in emails]


def first_difference(section: str, expected: list[Any], actual: list[Any]) -> str | None:
    """A message naming the first entry where two lists differ, or None when they are equal."""
    if expected == actual:
        return None
    for index, (want, got) in enumerate(zip(expected, actual, strict=False)):
        if want != got:
            return (
                f"{section}[{index}] differs from the golden file ({len(expected)} golden entries, "
                f"{len(actual)} simulated)\n  golden:    {_line(want)}\n  simulated: {_line(got)}"
            )
    shorter, longer, name = (actual, expected, "golden") if len(expected) > len(actual) else (expected, actual, "run")
    return (
        f"{section}: the {name} has {len(longer) - len(shorter)} more entries; the first extra one, "
        f"{section}[{len(shorter)}]: {_line(longer[len(shorter)])}"
    )


def _line(entry: Any) -> str:
    return json.dumps(entry, ensure_ascii=False, sort_keys=True)


def test_simulated_year_matches_the_golden_report(report: dict[str, Any]) -> None:
    if os.environ.get("UPDATE_GOLDEN") == "1":
        # rewrite, then compare against what was written like any other run; review the diff in git
        GOLDEN.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    golden: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    problems = [first_difference(section, golden[section], report[section]) for section in EXACT_SECTIONS]
    problems.append(first_difference("emails", emails_compared(golden["emails"]), emails_compared(report["emails"])))
    found = [problem for problem in problems if problem]
    assert not found, "\n".join([*found, "(UPDATE_GOLDEN=1 rewrites the golden file if the change is intended)"])


def test_example_year_tells_its_story(report: dict[str, Any], seed_plan: Plan) -> None:
    targets = {target["id"]: target for target in report["targets"]}
    assert targets["pilot-2021"] == {
        "id": "pilot-2021",
        "by": "2022-01-31",
        "required": 3,
        "achieved": 2,
        "met": False,
        "state": "missed",
        "label": "未达成",
    }
    assert targets["creation-2022"]["met"] is True
    assert targets["creation-2022"]["achieved"] >= targets["creation-2022"]["required"] == 8

    missed = [notice for notice in report["notices"] if notice["stage"] == "target-missed"]
    lead = seed_plan.leading_group
    assert missed == [
        {
            "date": "2022-02-07",
            "phase": "pilot",
            "item": "pilot-2021",
            "assignee": None,
            "stage": "target-missed",
            "cycle": 0,
            "recipients": sorted([lead.office_director.email, lead.leader.email]),
        }
    ]
    # 2022-01-31 → 02-06 is the Spring Festival break: 02-07 is the first working day after the `by` day
    assert WorkCalendar("cn-workdays").next_workday_after(date(2022, 1, 31)) == date(2022, 2, 7)
    digests = {e["to"] for e in report["emails"] if any(n["stage"] == "target-missed" for n in e["notices"])}
    assert digests == {lead.office_director.email, lead.leader.email}

    repeats = [n for n in report["notices"] if n["stage"] == "overdue-4" and n["cycle"] >= 1]
    assert repeats, "no repeat cycle of the top stage"
    assert all(notice["recipients"] == [lead.leader.email] for notice in repeats)

    c09 = next(
        a for a in report["assignments"] if a["item"] == "pilot.meet_standards" and a["assignee"] == "community:c09"
    )
    assert c09["completed_on"] is not None and c09["completed_on"] > "2022-01-31"


def test_first_difference_names_the_entry() -> None:
    assert first_difference("notices", [1, 2], [1, 2]) is None
    assert (first_difference("notices", [1, 2, 3], [1, 5, 3]) or "").startswith("notices[1] differs")
    assert "notices[2]" in (first_difference("notices", [1, 2, 3], [1, 2]) or "")
    assert "the run has 1 more" in (first_difference("notices", [1], [1, 2]) or "")
