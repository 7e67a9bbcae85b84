"""Reading a plan from text: structure errors and cross-checks, each as one line naming its field path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import yaml
from pydantic import ValidationError

from models.plan.item_checks import due_problems, material_problems
from models.plan.schema import Item, Phase, Plan
from models.plan.workcal import uncovered_years
from models.plan.yaml_data import load_yaml
from models.vocabulary import OwnerKind


class PlanError(Exception):
    """A plan that cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_plan(text: str) -> Plan:
    """YAML text → a checked, normalised Plan, or PlanError listing every problem."""
    data = _load_yaml(text)
    try:
        plan = Plan.model_validate(data)
    except ValidationError as error:
        raise PlanError([_describe(e) for e in error.errors()]) from None
    problems = list(cross_check(plan))
    if problems:
        raise PlanError(problems)
    return normalise(plan)


def _load_yaml(text: str) -> dict[str, Any]:
    try:
        data, duplicates = load_yaml(text)
    except yaml.YAMLError as error:
        raise PlanError([f"<file>: not valid YAML{_place(error)}: {_reason(error)}"]) from None
    if duplicates:
        raise PlanError([f"<file>: {line}" for line in duplicates])
    if not isinstance(data, dict):
        raise PlanError(["<file>: expected a YAML mapping with campaign, offices, phases, …"])
    return data


def _place(error: yaml.YAMLError) -> str:
    where = getattr(error, "problem_mark", None)
    return f" at line {where.line + 1}, column {where.column + 1}" if where else ""


def _reason(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.reader.ReaderError):
        return f"character U+{error.character:04X} is not allowed (position {error.position})"
    return str(getattr(error, "problem", None) or error or "cannot be parsed").splitlines()[0]


def field_path(loc: Iterable[int | str]) -> str:
    """('phases', 1, 'items', 3, 'due') → 'phases[1].items[3].due'."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "<file>"


def _describe(error: Any) -> str:
    # Union branches add their type name to loc ("date", "function-after[...]"): drop them.
    loc = [p for p in error["loc"] if isinstance(p, int) or not any(c in str(p) for c in "[]-(")]
    loc = [p for p in loc if p not in ("date", "str")]
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{field_path(loc)}: {message}"


def normalise(plan: Plan) -> Plan:
    """Fill defaults that depend on other sections (an item's supervisors)."""
    for item in (item for phase in plan.phases for item in phase.items):
        if item.supervisors is None:
            item.supervisors = [plan.leading_group.office]
        if item.title is None:
            item.title = item.id
    return plan


def cross_check(plan: Plan) -> Iterator[str]:
    """Every reference, uniqueness and date rule of SPEC §1 that one field alone cannot check."""
    yield from _duplicates(plan)
    yield from _references(plan)
    yield from _phase_dates(plan)
    yield from _item_rules(plan)
    yield from _target_rules(plan)
    yield from _escalation_rules(plan)
    yield from _calendar_rules(plan)


def _dupes(section: str, ids: list[Any]) -> Iterator[str]:
    counts = Counter(ids)
    for index, value in enumerate(ids):
        if counts[value] > 1 and ids.index(value) != index:
            yield f"{section}[{index}].id: duplicate id {value!r}"


def _duplicates(plan: Plan) -> Iterator[str]:
    for section in ("offices", "communities", "areas", "standards", "phases", "lists", "targets"):
        yield from _dupes(section, [node.id for node in getattr(plan, section)])
    seen: set[str] = set()
    for p, phase in enumerate(plan.phases):
        for i, item in enumerate(phase.items):
            if item.id in seen:
                yield f"phases[{p}].items[{i}].id: duplicate item id {item.id!r}"
            seen.add(item.id)


def _references(plan: Plan) -> Iterator[str]:
    offices = {o.id for o in plan.offices}
    areas = {a.id for a in plan.areas}
    lists = {n.id for n in plan.lists}
    if plan.leading_group.office not in offices:
        yield f"leading_group.office: unknown office {plan.leading_group.office!r}"
    for a, area in enumerate(plan.areas):
        yield from _unknown(f"areas[{a}].offices", area.offices, offices, "office")
    for s, standard in enumerate(plan.standards):
        if standard.area not in areas:
            yield f"standards[{s}].area: unknown area {standard.area!r}"
    cyclic = _cyclic({named.id: named.includes for named in plan.lists})
    for n, named in enumerate(plan.lists):
        yield from _unknown(f"lists[{n}].includes", named.includes, lists, "list")
        if named.id in cyclic:
            yield f"lists[{n}].includes: list {named.id!r} includes itself"
    for t, target in enumerate(plan.targets):
        if target.list_id not in lists:
            yield f"targets[{t}].list: unknown list {target.list_id!r}"


def _unknown(path: str, refs: list[str], known: set[str], what: str) -> Iterator[str]:
    for index, ref in enumerate(refs):
        if ref not in known:
            yield f"{path}[{index}]: unknown {what} {ref!r}"


def _cyclic(children: dict[str, list[str]]) -> set[str]:
    """Lists on an `includes` cycle (Tarjan's components, with a stack: any chain length is safe)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    path: list[str] = []
    on_path: set[str] = set()
    cyclic: set[str] = set()
    for root in children:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child_at = work.pop()
            if child_at == 0:
                index[node] = low[node] = len(index)
                path.append(node)
                on_path.add(node)
            kids = [k for k in children.get(node, []) if k in children]
            if child_at < len(kids):
                work.append((node, child_at + 1))
                kid = kids[child_at]
                if kid not in index:
                    work.append((kid, 0))
                elif kid in on_path:
                    low[node] = min(low[node], index[kid])
                continue
            if low[node] == index[node]:
                component = [path.pop()]
                while component[-1] != node:
                    component.append(path.pop())
                on_path.difference_update(component)
                if len(component) > 1 or node in children[node]:
                    cyclic.update(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return cyclic


def _phase_dates(plan: Plan) -> Iterator[str]:
    previous: Phase | None = None
    for p, phase in enumerate(plan.phases):
        if phase.end < phase.start:
            yield f"phases[{p}].end: {phase.end} is before start {phase.start}"
        if previous and phase.start <= previous.end:
            yield (f"phases[{p}].start: {phase.start} overlaps or precedes phase {previous.id!r} (ends {previous.end})")
        if phase.end > plan.campaign.end:
            yield f"phases[{p}].end: {phase.end} is after campaign.end {plan.campaign.end}"
        previous = phase
    if plan.campaign.end < plan.start:
        yield f"campaign.end: {plan.campaign.end} is before the first phase starts ({plan.start})"


def _item_rules(plan: Plan) -> Iterator[str]:
    for p, phase in enumerate(plan.phases):
        for i, item in enumerate(phase.items):
            yield from (f"phases[{p}].items[{i}].{line}" for line in _item_problems(plan, phase, item))


def _item_problems(plan: Plan, phase: Phase, item: Item) -> Iterator[str]:
    offices = {o.id for o in plan.offices}
    lists = {n.id for n in plan.lists}
    owner = item.owned_by
    if owner.kind is OwnerKind.OFFICE and owner.ref not in offices:
        yield f"owner: unknown office {owner.ref!r}"
    if owner.kind is OwnerKind.LIST and owner.ref not in lists:
        yield f"owner: unknown list {owner.ref!r}"
    yield from _unknown("supervisors", item.supervisors or [], offices, "office")
    yield from due_problems(plan, phase, item)
    if item.kind == "list":
        if item.list_id is None or item.min_share is None:
            yield "kind: a list item needs `list` and `min_share`"
        elif item.list_id not in lists:
            yield f"list: unknown list {item.list_id!r}"
    if item.kind == "standards" and owner.kind is OwnerKind.OFFICE:
        yield "owner: a standards item is owned by communities or a list of them, not an office"
    yield from material_problems(item)


def _target_rules(plan: Plan) -> Iterator[str]:
    if any(phase.end < phase.start for phase in plan.phases):
        return  # the broken window is the problem to report, not its consequences
    calendar = plan.calendar()
    for t, target in enumerate(plan.targets):
        if not any(phase.start <= target.by <= phase.end for phase in plan.phases):
            yield f"targets[{t}].by: {target.by} lies in no phase window, so no phase run would report it"
        elif (notice_day := calendar.next_workday_after(target.by)) > plan.campaign.end:
            # SPEC §1: no notices after campaign.end; a target judged on its `by` day is reported the next working day
            yield (
                f"targets[{t}].by: {target.by} is judged on the next working day, {notice_day}, after campaign.end "
                f"{plan.campaign.end}, when no notice goes out: move `by` earlier or `end` later"
            )


def _escalation_rules(plan: Plan) -> Iterator[str]:
    befores = [r.before for r in plan.escalation.reminders]
    for index, before in enumerate(befores):
        if befores.index(before) != index:
            yield f"escalation.reminders[{index}].before: duplicate {before}"
    afters = [s.after for s in plan.escalation.ladder]
    for index in range(1, len(afters)):
        if afters[index] <= afters[index - 1]:
            yield f"escalation.ladder[{index}].after: {afters[index]} must be above the stage before it"


def _calendar_rules(plan: Plan) -> Iterator[str]:
    overrides = plan.calendar_overrides
    for index, day in enumerate(overrides.workdays):
        if day in overrides.holidays:
            yield f"calendar_overrides.workdays[{index}]: {day} is also listed as a holiday"
    if plan.campaign.calendar != "cn-workdays":
        return
    years = range(plan.start.year, plan.campaign.end.year + 1)
    missing = uncovered_years(years, [*overrides.holidays, *overrides.workdays])
    if missing:
        yield (
            f"campaign.calendar: cn-workdays has no official calendar for {_spans(missing)}; "
            "add those years' holidays and workdays to calendar_overrides"
        )


def _spans(years: list[int]) -> str:
    """[2027, 2028, 2029, 2031] → '2027–2029, 2031'."""
    spans: list[list[int]] = []
    for year in years:
        if spans and year == spans[-1][-1] + 1:
            spans[-1].append(year)
        else:
            spans.append([year])
    return ", ".join(f"{s[0]}–{s[-1]}" if len(s) > 1 else str(s[0]) for s in spans)
