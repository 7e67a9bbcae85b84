"""Progress rows (SPEC §5): `date,action,assignee,target,value`, checked against the plan, pure."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from models.engine import labels_of
from models.plan import Item, Plan
from models.records.cells import DAY_FORMS, read_day, read_number, structural
from models.records.limits import MAX_ROWS, TOO_MANY_ROWS
from models.vocabulary import AssigneeKey, UnitKind

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


CELLS = dict(zip(HEADER, "ABCDE", strict=True))  # the column a field is in, for "row 4 (cell A4)"
MAX_MEASURE = 1e9  # a measured standard's value beyond this is a typo, not a count


def parse_rows(
    rows: Sequence[tuple[int, dict[str, str]]],
    plan: Plan,
    *,
    today: date | None = None,
    columns: Mapping[str, str] = CELLS,
) -> list[ProgressRow]:
    """Every row checked; ProgressError names each bad row, so nothing is applied half-way.

    `today` (the plan's local day, from the command) refuses rows dated after it; None (a replay) does not.
    `columns` names the cell of each field in errors (a sheet laid out otherwise passes its own, or none).
    More than MAX_ROWS rows (the UI form has no file to stop reading early) are refused in one line.
    """
    if len(rows) > MAX_ROWS:
        raise ProgressError([TOO_MANY_ROWS])
    parsed, problems = [], []
    seen: dict[tuple[date, str, str, str, str], int] = {}
    assignees = labels_of(plan)
    for number, raw in rows:
        text = {key: structural(raw.get(key)) for key in HEADER}
        text["action"] = text["action"].lower()
        errors = list(_row_problems(text, plan, today, assignees))
        if errors:
            problems += [_where(number, error, columns) for error in errors]
            continue
        row = _row(number, text)
        key = (row.day, row.action, row.assignee, row.target, row.value)
        if key in seen:
            problems.append(f"row {number}: duplicate of row {seen[key]}")
        else:
            seen[key] = number
            parsed.append(row)
    if problems:
        raise ProgressError(problems)
    return parsed


def repeated_completions(rows: Iterable[ProgressRow], recorded: Collection[tuple[str, str, date]]) -> list[str]:
    """`complete` rows identical to one already recorded (item, assignee, day): a file recorded twice."""
    return [
        f"row {r.row}: duplicate of a complete row already recorded ({r.day}, {r.assignee}, {r.target})"
        for r in rows
        if r.action == "complete" and (r.target, r.assignee, r.day) in recorded
    ]


def _where(number: int, error: str, columns: Mapping[str, str]) -> str:
    field = error.partition(":")[0]
    return f"row {number} (cell {columns[field]}{number}): {error}" if field in columns else f"row {number}: {error}"


def _row(number: int, text: dict[str, str]) -> ProgressRow:
    value = text["value"]
    if text["action"] == "assess" and value.endswith("%"):
        value = f"{read_number(value):.12g}"  # 35% is stored as 0.35 (full-width digits are folded already)
    if text["action"] == "extend":
        value = str(read_day(value))  # the new due day, whatever form the sheet wrote it in
    day = read_day(text["date"])
    action: Action = text["action"]  # type: ignore[assignment]  # checked by _row_problems
    assert day is not None  # checked by _row_problems
    return ProgressRow(number, day, action, text["assignee"], text["target"], value)


def _row_problems(text: dict[str, str], plan: Plan, today: date | None, assignees: Collection[str]) -> Iterator[str]:
    yield from _date_problems(text["date"], plan, today)
    kind = _kind(text["assignee"])
    if text["assignee"] not in assignees:
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


def _kind(text: str) -> UnitKind | None:
    """A row's assignee kind, None when it is not a key at all."""
    try:
        return AssigneeKey.parse(text).kind
    except ValueError:
        return None


def _date_problems(text: str, plan: Plan, today: date | None) -> Iterator[str]:
    day = read_day(text)
    if day is None:
        yield f"date: {text!r} is not a date ({DAY_FORMS})"
    elif day < plan.start:
        yield f"date: {day} is before the campaign starts ({plan.start})"
    elif day > plan.campaign.end:
        yield f"date: {day} is after the campaign ends ({plan.campaign.end})"
    elif today is not None and day > today:
        yield f"date: {day} is after today ({today}): record progress once it has happened"


def _complete_problems(text: dict[str, str], kind: UnitKind | None, plan: Plan) -> Iterator[str]:
    items = {i.id: i for _, i in plan.items()}
    item = items.get(text["target"])
    if item is None:
        yield f"target: no item {text['target']!r} in the plan"
    elif item.kind != "task":
        yield f"target: {item.id!r} is a {item.kind} item: it completes by itself (assess / select rows)"
    else:
        yield from _owner_problems(item, text, kind)


def _owner_problems(item: Item, text: dict[str, str], kind: UnitKind | None) -> Iterator[str]:
    office = item.owned_by.office
    if office is not None and text["assignee"] != office:
        yield f"assignee: {item.id!r} belongs to {item.owner}, not {text['assignee']}"
    elif office is None and kind is not UnitKind.COMMUNITY:
        yield f"assignee: {item.id!r} belongs to communities, not {text['assignee']}"


def _extend_problems(text: dict[str, str], kind: UnitKind | None, plan: Plan) -> Iterator[str]:
    item = next((i for _, i in plan.items() if i.id == text["target"]), None)
    if item is None:
        yield f"target: no item {text['target']!r} in the plan"
    else:
        yield from _owner_problems(item, text, kind)
    new_due = read_day(text["value"])
    if new_due is None:
        yield f"value: the new due day {text['value']!r} is not a date ({DAY_FORMS})"
    elif new_due > plan.campaign.end:
        yield f"value: the new due day {new_due} is after the campaign ends ({plan.campaign.end})"


def _select_problems(text: dict[str, str], kind: UnitKind | None, plan: Plan) -> Iterator[str]:
    if text["target"] not in {n.id for n in plan.lists}:
        yield f"target: no list {text['target']!r} in the plan"
    if kind is not UnitKind.COMMUNITY:
        yield "assignee: only a community can be put on a list"


def _assess_problems(text: dict[str, str], kind: UnitKind | None, plan: Plan) -> Iterator[str]:
    standards = {str(s.id): s for s in plan.standards}
    standard = standards.get(text["target"])
    if kind is not UnitKind.COMMUNITY:
        yield "assignee: only a community is assessed"
    if standard is None:
        yield f"target: no standard {text['target']!r} in the plan"
        return
    value = text["value"]
    if value in ("met", "unmet"):
        return
    number = read_number(value)
    if standard.measure is None:
        yield f"value: standard {standard.id} takes met or unmet, not {value!r}"
    elif number is None:
        yield f"value: standard {standard.id} is measured: met, unmet or a number like 0.35, not {value!r}"
    elif standard.measure.min <= 1 and not 0 <= number <= 1:
        yield f"value: standard {standard.id} is a share: a number from 0 to 1 (e.g. 0.35 or 35%), not {value!r}"
    elif not 0 <= number <= MAX_MEASURE:
        yield f"value: standard {standard.id} takes a number from 0 to {MAX_MEASURE:g}, not {value!r}"
