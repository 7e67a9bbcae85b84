"""A community roster (`greencomm communities import`): one community a row, checked with row numbers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from models.plan import Community, Plan, field_path
from models.records.cells import structural
from models.records.progress import ProgressError

ROSTER_HEADER = ("id", "name", "contact_name", "contact_email", "head_name", "head_email")
STRUCTURAL = ("id", "contact_email", "head_email")  # full-width forms folded; names are kept as written
IMPORTED = "roster_imported"  # set on a plan whose communities came from an import: reloads keep them


def parse_roster(rows: Iterable[tuple[int, dict[str, str]]]) -> list[Community]:
    """Communities from roster rows; ProgressError names every bad row and field."""
    communities, problems, seen = [], [], set()
    for number, raw in rows:
        raw = {**raw, **{key: structural(raw[key]) for key in STRUCTURAL}}
        if raw["id"] in seen:
            problems.append(f"row {number}: id: duplicate id {raw['id']!r}")
        seen.add(raw["id"])
        try:
            community = Community.model_validate(_nested(raw))
        except ValidationError as error:
            problems += [
                f"row {number}: {field_path(e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
                for e in error.errors()
            ]
            continue
        communities.append(community)
    if not communities and not problems:
        problems.append("no communities in the file")
    if problems:
        raise ProgressError(problems)
    return communities


def _nested(raw: dict[str, str]) -> dict[str, Any]:
    return {
        "id": raw["id"],
        "name": raw["name"],
        "contact": {"name": raw["contact_name"], "email": raw["contact_email"]},
        "head": {"name": raw["head_name"], "email": raw["head_email"]},
    }


def with_roster(plan: Plan, communities: list[Community]) -> Plan:
    """The plan with its communities replaced by an imported roster (marked so reloads keep it)."""
    data = plan.model_dump(mode="json", by_alias=True)
    data["communities"] = [c.model_dump(mode="json") for c in communities]
    data[IMPORTED] = True
    return Plan.model_validate(data)


def is_imported(plan: Plan) -> bool:
    return bool((plan.model_extra or {}).get(IMPORTED))
