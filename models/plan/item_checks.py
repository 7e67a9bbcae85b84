"""An item's checks that one field alone cannot make: its due day in its phase, its materials (SPEC §8)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from models.plan.schema import Item, Phase, Plan


def material_problems(item: Item) -> Iterator[str]:
    """SPEC §8: materials on task and submission items only, each with a Chinese label, once per item."""
    if item.materials and item.kind not in ("task", "submission"):
        yield f"materials: only a task or submission item hands in materials, not a {item.kind} item"
    labels = [material.label for material in item.materials]
    for m, material in enumerate(item.materials):
        if not any("\u4e00" <= char <= "\u9fff" for char in material.label):
            yield f"materials[{m}].label: {material.label!r} should name in Chinese what is handed in"
        if labels.index(material.label) != m:
            yield f"materials[{m}].label: duplicate label {material.label!r}"
        for k, kind in enumerate(material.kinds):
            if material.kinds.index(kind) != k:
                yield f"materials[{m}].kinds[{k}]: duplicate kind {kind!r}"


def due_problems(plan: Plan, phase: Phase, item: Item) -> Iterator[str]:
    if item.is_submission:
        if item.due is not None or item.yearly or item.optional:
            yield "kind: a submission item is handed in at any time: it has no due, yearly or optional"
        return
    if item.due is None:
        yield "due: missing (a date YYYY-MM-DD, or a month-day MM-DD for a yearly item)"
        return
    if item.yearly:
        if isinstance(item.due, date):
            yield 'due: a yearly item\'s due is a month and day, e.g. "11-20"'
        elif not yearly_dues(plan, item):
            yield f"due: {item.due} falls in no year from {plan.start} to campaign.end {plan.campaign.end}"
        return
    if not isinstance(item.due, date):
        yield f"due: {item.due!r} needs a full date (YYYY-MM-DD) unless the item is yearly"
    elif phase.start <= phase.end and not phase.start <= item.due <= phase.end:  # a broken window is reported once
        yield f"due: {item.due} is outside its phase {phase.id!r} ({phase.start} → {phase.end})"


def yearly_dues(plan: Plan, item: Item) -> list[date]:
    """The due days of a yearly item: its month-day in every year inside the campaign."""
    month, day = (int(part) for part in str(item.due).split("-"))
    dues = []
    for year in range(plan.start.year, plan.campaign.end.year + 1):
        try:
            due = date(year, month, day)
        except ValueError:  # 02-29 in a common year
            continue
        if plan.start <= due <= plan.campaign.end:
            dues.append(due)
    return dues
