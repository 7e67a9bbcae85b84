"""Which unit and item a message hands materials in for (SPEC §9): pure rules over the plan and open work.

The sender's address → the units that person acts for (Plan.people()) → those units' open items that list
materials: the item whose title (or one of its keywords) the subject or body names best, else the only such item,
else the one due first. Its attachments fill the item's materials by kind. Whatever cannot be decided this way
waits for a person, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher

from models.intake.letters import Attachment, Letter, failed_authentication
from models.intake.reasons import IntakeReason
from models.materials import materials_of
from models.plan import Item, Plan
from models.vocabulary import AssigneeKey, address_key

HIGHLIGHT_MARKS = ("【信息】", "亮点信息")  # a subject or body naming one of these hands in a highlight
MIN_WORDS = 4  # characters of an item's title a message must name to point at it ("绿色社区" alone names every one)
SCANNED = 4000  # characters of the body read for title words


@dataclass(frozen=True)
class Candidate:
    """An open assignment of the sender's units that could receive the message; for a submission item (亮点信息,
    never assigned) the unit alone."""

    assignment_id: int | None
    item: Item
    assignee: AssigneeKey
    due: date | None


@dataclass(frozen=True)
class Matched:
    candidate: Candidate
    files: tuple[tuple[str, Attachment], ...]  # (material label, file), in the message's order
    highlight: bool = False


@dataclass(frozen=True)
class Unmatched:
    reason: IntakeReason
    detail: str = ""


Decision = Matched | Unmatched


def keywords(item: Item) -> list[str]:
    """The words that mark the item in a message: a submission item's `keyword` (SPEC §9)."""
    return [item.keyword] if item.keyword else []


def units_of(plan: Plan, sender: str) -> list[AssigneeKey]:
    """The units the sender acts for, in the plan's order, each once."""
    me = address_key(sender)
    units = [seat.unit for seat in plan.people() if seat.unit is not None and address_key(seat.person.email) == me]
    return list(dict.fromkeys(units))


def decide(plan: Plan, letter: Letter, open_work: Sequence[Candidate]) -> Decision:
    """The item and materials the message is for, or why a person must decide."""
    if letter.malformed:
        return Unmatched(IntakeReason.MALFORMED, letter.malformed)
    if failed := failed_authentication(letter.authentication, letter.domain):
        return Unmatched(IntakeReason.FAILED_AUTHENTICATION, "未通过：" + "、".join(m.upper() for m in failed))
    units = units_of(plan, letter.sender)
    if not units:
        return Unmatched(IntakeReason.UNKNOWN_SENDER, letter.sender)
    mine = [c for c in open_work if c.assignee in units]
    if highlights := [c for c in mine if c.item.is_submission] if names_highlight(letter, mine) else []:
        return _highlight(letter, highlights)
    files = letter.materials
    if not files:
        unsupported = [a.name for a in letter.attachments if a.unsupported]
        if unsupported:
            return Unmatched(IntakeReason.NO_ACCEPTED_KIND, "无法读取的附件：" + "、".join(unsupported))
        return Unmatched(IntakeReason.NO_ATTACHMENT)
    items = _earliest_occurrences([c for c in mine if not c.item.is_submission and c.item.materials])
    if not items:
        return Unmatched(IntakeReason.NO_OPEN_ITEM)
    chosen = choose(letter, items)
    if chosen is None:
        return Unmatched(IntakeReason.TIE, "、".join(c.item.label for c in items))
    return fill(chosen, files)


def _earliest_occurrences(items: Sequence[Candidate]) -> list[Candidate]:
    """A yearly item open for two years is one item to choose: its earliest open occurrence (as a claim row)."""
    first: dict[tuple[str, str], Candidate] = {}
    for c in items:
        key = (c.assignee, c.item.id)
        if key not in first or (c.due or date.max) < (first[key].due or date.max):
            first[key] = c
    return list(first.values())


def names_highlight(letter: Letter, open_work: Sequence[Candidate]) -> bool:
    hay = letter.subject + "\n" + letter.text[:SCANNED]
    marks = [*HIGHLIGHT_MARKS, *(k for c in open_work if c.item.is_submission for k in keywords(c.item))]
    return any(mark in hay for mark in marks)


def _highlight(letter: Letter, highlights: list[Candidate]) -> Decision:
    by_unit = {c.assignee: c for c in highlights}  # one highlight item per unit is the rule; a unit's first
    if len(by_unit) > 1:
        return Unmatched(IntakeReason.TIE, "发件人代表多个单位")
    filled = fill(next(iter(by_unit.values())), letter.materials)
    return Matched(filled.candidate, filled.files, highlight=True) if isinstance(filled, Matched) else filled


def choose(letter: Letter, items: Sequence[Candidate]) -> Candidate | None:
    """The item the message names best; else the only one; else the one due first; None on a tie."""
    hay = letter.subject + "\n" + letter.text[:SCANNED]
    scores = [named(c.item, hay) for c in items]
    best = max(scores)
    if best > 0:
        top = [c for c, score in zip(items, scores, strict=True) if score == best]
        return top[0] if len(top) == 1 else None
    if len(items) == 1:
        return items[0]
    dues = [c.due for c in items if c.due is not None]
    earliest = [c for c in items if dues and c.due == min(dues)]
    return earliest[0] if len(earliest) == 1 else None


def named(item: Item, hay: str) -> int:
    """How much of the item the text names: a keyword found whole, else the longest run of its title (at least
    MIN_WORDS characters, or the whole title if shorter)."""
    found = [len(k) + 1000 for k in keywords(item) if k and k in hay]
    title = item.title or ""
    run = SequenceMatcher(None, title, hay, autojunk=False).find_longest_match(0, len(title), 0, len(hay)).size
    return max([*found, run if run >= min(MIN_WORDS, len(title)) and run > 0 else 0])


def fill(candidate: Candidate, files: Sequence[Attachment]) -> Decision:
    """Each file to the first of the item's materials that accepts its kind; files of no accepted kind are left."""
    materials = materials_of(candidate.item)
    placed = []
    for file in files:
        label = next((m.label for m in materials if file.kind in m.kinds), None)
        if label is not None:
            placed.append((label, file))
    if not placed:
        names = "、".join(f.name for f in files)
        return Unmatched(IntakeReason.NO_ACCEPTED_KIND, f"{names}（需要：{'、'.join(m.label for m in materials)}）")
    return Matched(candidate, tuple(placed))
