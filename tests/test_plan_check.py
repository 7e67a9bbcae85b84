"""`greencomm plan check`: every bad case of SPEC §1 refused with exit 2 and its field path."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from deployments.cli import app
from models.plan.checks import PlanError, parse_plan
from tests.conftest import GREENCOMM, SEED_PLAN, plan_data, write_plan

runner = CliRunner()
Mutation = Callable[[dict[str, Any]], None]


def check(path: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["plan", "check", str(path), *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_shipped_plan_passes() -> None:
    code, out, err = check(SEED_PLAN)
    assert (code, err) == (0, "")
    assert "3 phases, 11 items, 12 communities" in out


def test_json_prints_the_normalised_plan() -> None:
    code, out, _ = check(SEED_PLAN, "--json")
    data = json.loads(out)
    assert code == 0
    items = [i for p in data["phases"] for i in p["items"]]
    assert all(i["supervisors"] for i in items)  # the default supervisor is filled in
    assert {s["id"] for s in data["standards"]} == set(range(1, 17))


def _set(path: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return mutate


def _duplicate_item(data: dict[str, Any]) -> None:
    data["phases"][0]["items"][1]["id"] = data["phases"][0]["items"][0]["id"]


def _overlap(data: dict[str, Any]) -> None:
    data["phases"][1]["start"] = "2022-01-20"


BAD_CASES: list[tuple[str, Mutation, str]] = [
    (
        "unknown office",
        _set("phases.0.items.2.owner", "office:nobody"),
        "phases[0].items[2].owner: unknown office",
    ),
    (
        "unknown supervisor",
        _set("phases.0.items.3.supervisors", ["ghost"]),
        "phases[0].items[3].supervisors[0]: unknown office",
    ),
    ("unknown list", _set("phases.0.items.3.owner", "list:ghost"), "phases[0].items[3].owner: unknown list"),
    ("unknown list of a target", _set("targets.0.list", "ghost"), "targets[0].list: unknown list"),
    ("unknown lead office", _set("leading_group.office", "ghost"), "leading_group.office: unknown office"),
    ("unknown area office", _set("areas.1.offices", ["ghost"]), "areas[1].offices[0]: unknown office"),
    ("duplicate item id", _duplicate_item, "phases[0].items[1].id: duplicate item id"),
    ("duplicate community", _set("communities.2.id", "c1"), "communities[2].id: duplicate id"),
    (
        "due outside its phase",
        _set("phases.0.items.0.due", "2022-02-14"),
        "phases[0].items[0].due: 2022-02-14 is outside",
    ),
    (
        "phase ends before it starts",
        _set("phases.0.end", "2022-01-01"),
        "phases[0].end: 2022-01-01 is before start",
    ),
    ("overlapping phases", _overlap, "phases[1].start: 2022-01-20 overlaps"),
    ("bad timezone", _set("campaign.timezone", "Asia/Nowhere"), "campaign.timezone: unknown timezone"),
    (
        "bad e-mail",
        _set("communities.1.contact.email", "c2@@t"),
        "communities[1].contact.email: not a valid e-mail",
    ),
    ("CR/LF in a name", _set("communities.2.name", "社区\r\n三"), "communities[2].name: must be one line"),
    (
        "cn-workdays beyond the calendar",
        _set("campaign.end", "2031-03-31"),
        "campaign.calendar: cn-workdays has no official calendar for 2027",
    ),
    ("bad date", _set("phases.0.start", "2022-13-01"), "phases[0].start:"),
    ("bad due", _set("phases.0.items.0.due", "2022-02-30"), "phases[0].items[0].due: '2022-02-30' is not a date"),
    (
        "bad owner",
        _set("phases.0.items.0.owner", "everyone"),
        "phases[0].items[0].owner: 'everyone' is not communities",
    ),
    ("unquoted run_at", _set("campaign.run_at", 540), 'campaign.run_at: write the time quoted, e.g. "09:00"'),
    ("missing field", _set("campaign.id", None), "campaign.id:"),
    ("bad share", _set("targets.0.min_share", 1.5), "targets[0].min_share:"),
    (
        "ladder out of order",
        _set("escalation.ladder.1.after", 1),
        "escalation.ladder[1].after: 1 must be above",
    ),
]


@pytest.mark.parametrize(("case", "mutate", "expected"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_a_bad_plan_is_refused_with_its_field_path(
    tmp_path: Path, small_plan_data: dict[str, Any], case: str, mutate: Mutation, expected: str
) -> None:
    mutate(small_plan_data)
    code, out, err = check(write_plan(tmp_path, small_plan_data))
    assert code == 2, (case, out, err)
    assert expected in err, err
    assert len(err.strip().splitlines()) == 1, err  # one problem, one line
    assert "Traceback" not in err and out == ""


def test_calendar_overrides_cover_a_year_the_calendar_lacks(tmp_path: Path, small_plan_data: dict[str, Any]) -> None:
    small_plan_data["campaign"]["end"] = "2027-03-31"
    assert check(write_plan(tmp_path, small_plan_data))[0] == 2
    small_plan_data["calendar_overrides"] = {"holidays": ["2027-01-01"], "workdays": []}
    assert check(write_plan(tmp_path, small_plan_data))[0] == 0


def test_every_problem_gets_its_own_line(tmp_path: Path, small_plan_data: dict[str, Any]) -> None:
    _set("phases.0.items.2.owner", "office:nobody")(small_plan_data)
    _set("targets.0.list", "ghost")(small_plan_data)
    err = check(write_plan(tmp_path, small_plan_data))[2]
    assert len(err.strip().splitlines()) == 2


@pytest.mark.parametrize("text", ["campaign: [", "just a string", "- a\n- list", "", "\x00\x01"])
def test_a_file_that_is_not_a_yaml_plan_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    code, _, err = check(path)
    assert code == 2 and str(path) in err and "Traceback" not in err


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    code, _, err = check(tmp_path / "missing.yaml")
    assert code == 2 and "cannot read" in err


def test_the_installed_command_exits_2_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("campaign: {id: BAD ID}\n", encoding="utf-8")
    done = subprocess.run(
        [str(GREENCOMM), "plan", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "campaign.id" in done.stderr and "Traceback" not in done.stderr


YAML_ATOMS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.dates().map(str),
)
YAML_VALUES = st.recursive(
    YAML_ATOMS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_random_text_never_raises_anything_but_plan_error(text: str) -> None:
    try:
        parse_plan(text)
    except PlanError as error:
        assert error.problems and all(isinstance(line, str) and line for line in error.problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mangled_plans_never_raise_anything_but_plan_error(data: st.DataObject) -> None:
    import yaml

    plan = plan_data()
    section = data.draw(st.sampled_from(sorted(plan)))
    plan[section] = data.draw(YAML_VALUES)
    try:
        parse_plan(yaml.safe_dump(plan, allow_unicode=True))
    except PlanError as error:
        assert error.problems


def test_a_target_judged_after_the_campaign_ends_is_refused(tmp_path: Path) -> None:
    """Its missed-target notice would go out on the next working day, after `end`, when no notice is sent."""
    data = plan_data(SEED_PLAN)
    data["targets"][1]["by"] = "2022-12-30"  # a Friday; the next working day is 2023-01-03
    code, _, err = check(write_plan(tmp_path, data))
    assert code == 2
    assert err.strip().endswith(
        "plan.yaml: targets[1].by: 2022-12-30 is judged on the next working day, 2023-01-03, "
        "after campaign.end 2022-12-31, when no notice goes out: move `by` earlier or `end` later"
    )


def test_a_target_judged_on_the_last_working_day_passes(tmp_path: Path) -> None:
    data = plan_data(SEED_PLAN)
    data["targets"][1]["by"] = "2022-12-29"  # judged and reported on Friday 2022-12-30
    assert check(write_plan(tmp_path, data))[0] == 0
