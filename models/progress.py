"""Progress rows (SPEC §5): `date,action,assignee,target,value`, checked against the plan, pure."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal

from models.plan import Item, Plan

HEADER = ("date", "action", "assignee", "target", "value")
Action = Literal["complete", "select", "assess", "claim", "confirm", "reject", "extend"]
DECISIONS = ("claim", "confirm", "reject", "extend")  # rows applied one by one against the assignments


class ProgressError(Exception):
    """Rows that cannot be applied; `problems` holds one line per problem with its row number."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ProgressRow:
    row: int
    day: date
    action: Action
    assignee: str  # community:<id> | office:<id>
    target: str
    value: str


def parse_rows(rows: Iterable[tuple[int, dict[str, str]]], plan: Plan) -> list[ProgressRow]:
    """Every row checked; ProgressError names each bad row, so nothing is applied half-way."""
    parsed, problems = [], []
    for number, raw in rows:
        errors = list(_row_problems(raw, plan))
        if errors:
            problems += [f"row {number}: {error}" for error in errors]
        else:
            parsed.append(_row(number, raw))
    if problems:
        raise ProgressError(problems)
    return parsed


def _row(number: int, raw: dict[str, str]) -> ProgressRow:
    value = raw.get("value", "").strip()
    action: Action = raw["action"].strip()  # type: ignore[assignment]  # checked by _row_problems
    return ProgressRow(
        number,
        date.fromisoformat(raw["date"].strip()),
        action,
        raw["assignee"].strip(),
        raw["target"].strip(),
        value,
    )


def _row_problems(raw: dict[str, str], plan: Plan) -> Iterator[str]:
    text = {key: (raw.get(key) or "").strip() for key in HEADER}
    try:
        date.fromisoformat(text["date"])
    except ValueError:
        yield f"date: {text['date']!r} is not a date (YYYY-MM-DD)"
    kind, _, ref = text["assignee"].partition(":")
    communities = {c.id for c in plan.communities}
    offices = {o.id for o in plan.offices}
    if not ((kind == "community" and ref in communities) or (kind == "office" and ref in offices)):
        yield f"assignee: {text['assignee']!r} is not community:<id> or office:<id> of this plan"
    checks = {
        "complete": _complete_problems,
        "select": _select_problems,
        "assess": _assess_problems,
        "claim": _complete_problems,
        "confirm": _complete_problems,
        "reject": _complete_problems,
        "extend": _extend_problems,
    }
    check = checks.get(text["action"])
    if check is None:
        yield f"action: {text['action']!r} is not one of {', '.join(checks)}"
    else:
        yield from check(text, kind, plan)


def _complete_problems(text: dict[str, str], kind: str, plan: Plan) -> Iterator[str]:
    items = {i.id: i for _, i in plan.items()}
    item = items.get(text["target"])
    if item is None:
        yield f"target: no item {text['target']!r} in the plan"
    elif item.kind != "task":
        yield f"target: {item.id!r} is a {item.kind} item: it completes by itself (assess / select rows)"
    else:
        yield from _owner_problems(item, text, kind)


def _owner_problems(item: Item, text: dict[str, str], kind: str) -> Iterator[str]:
    if item.owner.startswith("office:") and text["assignee"] != item.owner:
        yield f"assignee: {item.id!r} belongs to {item.owner}, not {text['assignee']}"
    elif not item.owner.startswith("office:") and kind != "community":
        yield f"assignee: {item.id!r} belongs to communities, not {text['assignee']}"


def _extend_problems(text: dict[str, str], kind: str, plan: Plan) -> Iterator[str]:
    item = next((i for _, i in plan.items() if i.id == text["target"]), None)
    if item is None:
        yield f"target: no item {text['target']!r} in the plan"
    else:
        yield from _owner_problems(item, text, kind)
    try:
        date.fromisoformat(text["value"])
    except ValueError:
        yield f"value: the new due day {text['value']!r} is not a date (YYYY-MM-DD)"


def _select_problems(text: dict[str, str], kind: str, plan: Plan) -> Iterator[str]:
    if text["target"] not in {n.id for n in plan.lists}:
        yield f"target: no list {text['target']!r} in the plan"
    if kind != "community":
        yield "assignee: only a community can be put on a list"


def _assess_problems(text: dict[str, str], kind: str, plan: Plan) -> Iterator[str]:
    standards = {str(s.id): s for s in plan.standards}
    standard = standards.get(text["target"])
    if kind != "community":
        yield "assignee: only a community is assessed"
    if standard is None:
        yield f"target: no standard {text['target']!r} in the plan"
        return
    value = text["value"]
    if value in ("met", "unmet"):
        return
    if standard.measure is None:
        yield f"value: standard {standard.id} takes met or unmet, not {value!r}"
    elif not _is_number(value):
        yield f"value: standard {standard.id} is measured: met, unmet or a number like 0.35, not {value!r}"


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return value.lower() not in ("nan", "inf", "-inf", "infinity")
