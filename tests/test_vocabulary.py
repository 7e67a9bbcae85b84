"""The core vocabulary: value types that parse and print the strings stored and shown, and nothing else
formatting or splitting those strings by hand."""

from __future__ import annotations

import re
from datetime import date

import pytest

from models.vocabulary import (
    ASSIGNED,
    AssigneeKey,
    NoticeKey,
    Owner,
    OwnerKind,
    Role,
    Stage,
    StageKind,
    UnitKind,
    address_key,
    keys_of,
    kind_of,
    ref_of,
)
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("text", "kind", "ref"),
    [
        ("community:c01", UnitKind.COMMUNITY, "c01"),
        ("office:social_affairs_office", UnitKind.OFFICE, "social_affairs_office"),
    ],
)
def test_an_assignee_key_knows_its_parts_and_prints_as_stored(text: str, kind: UnitKind, ref: str) -> None:
    key = AssigneeKey.parse(f" {text} ")
    assert (key.kind, key.ref, str(key), key) == (kind, ref, text, text)
    assert AssigneeKey.of(kind, ref) == key


@pytest.mark.parametrize("text", ["c01", "community:", "team:x", ":c01", ""])
def test_a_malformed_assignee_key_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="community:<id> or office:<id>"):
        AssigneeKey.parse(text)


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("assigned", Stage(StageKind.ASSIGNED)),
        ("extended", Stage(StageKind.EXTENDED)),
        ("target-missed", Stage(StageKind.TARGET_MISSED)),
        ("remind-3", Stage.remind(3)),
        ("remind-0", Stage.remind(0)),
        ("overdue-4", Stage.overdue(3)),
    ],
)
def test_a_stage_round_trips(text: str, stage: Stage) -> None:
    assert Stage.parse(text) == stage and str(stage) == text


@pytest.mark.parametrize("text", ["overdue", "remind-x", "overdue-0", "late-1"])
def test_a_malformed_stage_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Stage.parse(text)


@pytest.mark.parametrize(
    ("key", "text"),
    [
        (NoticeKey.for_assignment(7, date(2022, 1, 31), Stage.overdue(1), 2), "a7/2022-01-31/overdue-2/2"),
        (NoticeKey.for_assignment(7, date(2022, 1, 31), ASSIGNED, 0), "a7/assigned/0"),
        (NoticeKey.for_target("pilot-2021"), "tpilot-2021/target-missed/0"),
    ],
)
def test_a_notice_key_round_trips(key: NoticeKey, text: str) -> None:
    assert str(key) == text and NoticeKey.parse(text) == key


def test_roles_rank_from_the_assignee_up_to_the_leader() -> None:
    assert [role.rank for role in Role] == [1, 2, 3, 4, 5, 6]
    assert Role.LEADER.outranks(Role.LEADING_GROUP_OFFICE) and not Role.ASSIGNEE.outranks("supervisors")
    assert Role.LEADING_GROUP_OFFICE.zh == "领导小组办公室"


def test_stored_keys_are_read_and_written_in_bulk_as_plain_strings() -> None:
    keys = keys_of(UnitKind.COMMUNITY, ["c01", "c02"])
    assert keys == ["community:c01", "community:c02"] and all(type(key) is str for key in keys)
    assert (ref_of("office:works"), kind_of("office:works"), kind_of(keys[0])) == (
        "works",
        UnitKind.OFFICE,
        "community",
    )


@pytest.mark.parametrize(
    ("text", "owner"),
    [
        ("communities", Owner(OwnerKind.COMMUNITIES)),
        ("list:pilot", Owner(OwnerKind.LIST, "pilot")),
        ("office:works", Owner(OwnerKind.OFFICE, "works")),
    ],
)
def test_an_item_owner_round_trips_and_an_office_owner_is_its_assignee(text: str, owner: Owner) -> None:
    assert Owner.parse(text) == owner and str(owner) == text
    assert owner.office == (AssigneeKey.office("works") if owner.kind is OwnerKind.OFFICE else None)


@pytest.mark.parametrize("text", ["community", "list:", "office:a b", "offices:x", ""])
def test_a_malformed_owner_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="communities, list:<list id> or office:<office id>"):
        Owner.parse(text)


def test_a_person_is_found_by_address_whatever_its_case() -> None:
    assert address_key("Wang.Li@QingYang.example") == address_key("wang.li@qingyang.example")


def test_each_role_reads_its_notices_under_one_name() -> None:
    assert [role.reader for role in (Role.ASSIGNEE, Role.SUPERVISORS, Role.LEADER)] == [
        "责任单位经办人",
        "督导科室联络员",
        "领导小组组长",
    ]


# Hand-made keys and stage names: the vocabulary's strings built, split or parsed outside models/vocabulary/.
BY_HAND = re.compile(
    r"""["'](community|office):|f["']a\{|f["']t\{|\.partition\(["']:["']\)|removeprefix\(["'](overdue|remind)"""
    r"""|startswith\(["'](overdue|remind|community|office)|STAGE_ORDER"""
)
PLACEHOLDER = re.compile(r"(community|office):<")  # help texts showing users how to write a key
# Code the pattern catches that handles no vocabulary string, each named whole (a new hit still fails).
NOT_VOCABULARY = {
    'field = error.partition(":")[0]',  # models/records/progress.py: the field a problem line names, `date: …`
}


def test_nothing_builds_or_splits_vocabulary_strings_by_hand() -> None:
    found = []
    for layer in ("models", "tasks", "flows", "deployments"):
        for path in sorted((ROOT / layer).rglob("*.py")):
            if path.is_relative_to(ROOT / "models" / "vocabulary"):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0] if not line.lstrip().startswith("#") else ""
                if BY_HAND.search(PLACEHOLDER.sub("", code)) and code.strip() not in NOT_VOCABULARY:
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "use models.vocabulary instead:\n" + "\n".join(found)
