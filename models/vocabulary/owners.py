"""Who owns an item (SPEC §1): `communities` (every community), `list:<list id>` or `office:<office id>`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from models.vocabulary.units import AssigneeKey

_OWNER = re.compile(r"(communities)|(list|office):([A-Za-z0-9_.-]+)")


class OwnerKind(StrEnum):
    COMMUNITIES = "communities"
    LIST = "list"
    OFFICE = "office"


@dataclass(frozen=True)
class Owner:
    """An item's `owner` as written in the plan: its kind and, for a list or an office, its id."""

    kind: OwnerKind
    ref: str = ""

    @classmethod
    def parse(cls, text: str) -> Owner:
        match = _OWNER.fullmatch(text)
        if match is None:
            raise ValueError(f"{text!r} is not communities, list:<list id> or office:<office id>")
        if match[1]:
            return cls(OwnerKind.COMMUNITIES)
        return cls(OwnerKind(match[2]), match[3])

    def __str__(self) -> str:
        return str(self.kind) if self.kind is OwnerKind.COMMUNITIES else f"{self.kind}:{self.ref}"

    @property
    def office(self) -> AssigneeKey | None:
        """The owning office's assignee key (it is the one assignee), None when communities own the item."""
        return AssigneeKey.office(self.ref) if self.kind is OwnerKind.OFFICE else None
