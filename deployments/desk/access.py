"""What a link's token opens: checked against the campaign as loaded, or Refused (403, nothing changed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from deployments.desk.deps import LINK_CUT, DeskConfig, Refused
from models import tables
from models.desk.pages import allowed
from models.desk.readers import Reader
from models.desk.tokens import Action, Grant, looks_cut, verify
from models.plan import Item, Plan
from tasks.desk.actions import assignment_of
from tasks.desk.mine import relations
from tasks.materials import file_row
from tasks.store import load_campaign, today_in

ITEM_ACTIONS: tuple[Action, ...] = ("ack", "claim", "extend")


@dataclass(frozen=True)
class PageLink:
    """A well-signed, unexpired token of the campaign, and the campaign's day it is opened on."""

    plan: Plan
    grant: Grant
    today: date


@dataclass(frozen=True)
class ItemLink(PageLink):
    """An action link, opened by the owner of the assignment it names."""

    item: Item
    assignment: tables.Assignment


def page_link(session: Session, desk: DeskConfig, token: str, actions: tuple[Action, ...] = ("mine",)) -> PageLink:
    grant = verify(desk.secret, token, today=date.min)  # the signature first; expiry needs the campaign's day
    if grant is None and looks_cut(token):
        raise Refused(LINK_CUT)
    if grant is None or grant.action not in actions:
        raise Refused()
    try:
        plan = load_campaign(session, grant.campaign)
    except LookupError:
        raise Refused() from None
    today = today_in(plan, desk.clock())
    if today > grant.expires:
        raise Refused()
    return PageLink(plan, grant, today)


def item_link(session: Session, desk: DeskConfig, token: str) -> ItemLink:
    """签收, 申报办结 or 申请延期 on an assignment of the campaign, by its owner (and a task item's, to claim)."""
    link = page_link(session, desk, token, ITEM_ACTIONS)
    plan, grant = link.plan, link.grant
    assignment = assignment_of(session, grant.campaign, grant.assignment_id)
    if assignment is None:
        raise Refused()
    item = next((i for _, i in plan.items() if i.id == assignment.item_id), None)
    [relation] = relations(session, plan, [assignment], Reader.of(plan, grant.recipient), link.today)
    if item is None or not allowed(relation, grant.action, item):
        raise Refused()
    return ItemLink(plan, grant, link.today, item, assignment)


@dataclass(frozen=True)
class FileLink:
    """A download link, opened by a reader the file is for: the unit that handed it in, the offices supervising
    the item, the leading group (who decide on it)."""

    plan: Plan
    row: tables.MaterialFile


def file_access(session: Session, desk: DeskConfig, token: str) -> FileLink:
    link = page_link(session, desk, token, ("file",))
    row = file_row(session, link.plan.campaign.id, link.grant.assignment_id)
    unit_and_item = _unit_and_item(session, row) if row is not None else None
    if row is None or unit_and_item is None:
        raise Refused()
    assignee, item_id = unit_and_item
    item = next((i for _, i in [*link.plan.items(), *link.plan.submissions()] if i.id == item_id), None)
    supervisors = (item.supervisors if item else None) or [link.plan.leading_group.office]
    if Reader.of(link.plan, link.grant.recipient).relation(assignee, supervisors) is None:
        raise Refused()
    return FileLink(link.plan, row)


def _unit_and_item(session: Session, row: tables.MaterialFile) -> tuple[str, str] | None:
    """The unit that handed the file in and the item it was for."""
    if row.assignment_id is not None:
        assignment = session.get(tables.Assignment, row.assignment_id)
        return (assignment.assignee, assignment.item_id) if assignment else None
    highlight = session.get(tables.Highlight, row.highlight_id) if row.highlight_id is not None else None
    return (highlight.assignee, highlight.item_id) if highlight else None
