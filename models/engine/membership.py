"""Who is on a list on a day, and who owns an item: pure functions over loaded memberships."""

from __future__ import annotations

from datetime import date

from models.engine.rules import list_closure
from models.plan import Item, Plan
from models.vocabulary import OwnerKind, UnitKind, keys_of

Members = dict[str, dict[str, date]]  # list id → {community id: day it joined}


def members_on(plan: Plan, members: Members, list_id: str, day: date) -> dict[str, date]:
    """Communities on a list, or a list it includes, on `day`: {community: earliest day it was on}."""
    found: dict[str, date] = {}
    for named in list_closure(plan, list_id):
        for community, since in members.get(named, {}).items():
            if since <= day and (community not in found or since < found[community]):
                found[community] = since
    return found


def owners(plan: Plan, item: Item, members: Members, day: date) -> list[str]:
    """The assignees of an item on `day`: every community, a list's communities, or one office."""
    owner = item.owned_by
    if owner.office is not None:
        return [str(owner.office)]
    if owner.kind is OwnerKind.COMMUNITIES:
        return keys_of(UnitKind.COMMUNITY, (c.id for c in plan.communities))
    known = {c.id for c in plan.communities}
    listed = sorted(members_on(plan, members, owner.ref, day))
    return keys_of(UnitKind.COMMUNITY, (c for c in listed if c in known))
