"""Who owns an assignment: a community or an office, written `community:<id>` / `office:<id>` everywhere."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from sqlalchemy import String, literal
from sqlalchemy.sql import ColumnElement


class UnitKind(StrEnum):
    COMMUNITY = "community"
    OFFICE = "office"


_KINDS = {str(kind): kind for kind in UnitKind}  # a dict lookup: UnitKind(text) costs a microsecond


class AssigneeKey(str):
    """An assignee key as stored and shown in progress rows: `community:c01`, `office:social_affairs_office`.

    A `str` (so rows read from the database, dict keys and JSON keep working) that knows its parts."""

    __slots__ = ()

    def __new__(cls, text: str) -> AssigneeKey:
        kind, _, ref = text.partition(":")
        if not ref or kind not in _KINDS:
            raise ValueError(f"{text!r} is not an assignee: write community:<id> or office:<id>")
        return super().__new__(cls, text)

    @classmethod
    def parse(cls, text: str) -> AssigneeKey:
        """The key of `text`, or ValueError naming what is wrong."""
        return cls(text.strip())

    @classmethod
    def of(cls, kind: UnitKind | str, ref: str) -> AssigneeKey:
        return cls(f"{UnitKind(kind)}:{ref}")

    @classmethod
    def community(cls, community_id: str) -> AssigneeKey:
        return cls.of(UnitKind.COMMUNITY, community_id)

    @classmethod
    def office(cls, office_id: str) -> AssigneeKey:
        return cls.of(UnitKind.OFFICE, office_id)

    @property
    def kind(self) -> UnitKind:
        return _KINDS[self.partition(":")[0]]

    @property
    def ref(self) -> str:
        """The community's or office's id."""
        return self.partition(":")[2]

    @property
    def is_community(self) -> bool:
        return self.kind is UnitKind.COMMUNITY

    def __str__(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"AssigneeKey({str.__str__(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (AssigneeKey, (str.__str__(self),))


# Rows read from the database hold keys this code wrote: read them without building an AssigneeKey each, which
# counts at a million assignments.
_PREFIX = {kind: f"{kind}:" for kind in UnitKind}


def ref_of(key: str) -> str:
    """The id inside a stored key (a plain column value): `community:c01` → `c01`."""
    return key.partition(":")[2]


def kind_of(key: str) -> UnitKind:
    """The kind of a stored key: `community:c01` → UnitKind.COMMUNITY."""
    return _KINDS[key.partition(":")[0]]


def keys_of(kind: UnitKind, refs: Iterable[str]) -> list[str]:
    """The stored keys of many communities or offices at once, as plain strings."""
    prefix = _PREFIX[kind]
    return [prefix + ref for ref in refs]


def address_key(address: str) -> str:
    """The one rule for finding a person by e-mail address: the plan stores addresses as email-validator
    normalised them (the domain lower-cased, the local part as written), so compare them lower-cased whole."""
    return address.lower()


def assignee_sql(kind: UnitKind, ref: ColumnElement[Any]) -> ColumnElement[str]:
    """The stored key of a column holding community or office ids, for SQL that joins on it."""
    return literal(_PREFIX[kind], String).concat(ref)
