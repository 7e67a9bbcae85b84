"""Open work: a phase's assignments not completed and assigned by a day, the one condition the steps that act
on open work (assign, completion, escalation) read it by; the (campaign, phase, completed_on, due) index covers
it (migration 0005)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from models import tables


class OpenWork(NamedTuple):
    """Which assignments count: open, of this campaign and phase, assigned by `day`."""

    campaign_id: str
    phase_id: str
    day: date

    def where(self, item_ids: Iterable[str] | None = None) -> tuple[ColumnElement[bool], ...]:
        """The condition, optionally for some items only."""
        a = tables.Assignment
        found = (
            col(a.campaign_id) == self.campaign_id,
            col(a.phase_id) == self.phase_id,
            col(a.completed_on).is_(None),
            col(a.assigned_on) <= self.day,
        )
        return found if item_ids is None else (*found, col(a.item_id).in_(sorted(item_ids)))


def open_assignments(session: Session, campaign_id: str, phase_id: str, day: date) -> list[tables.Assignment]:
    """The open work as rows, in (occurrence, id) order."""
    a = tables.Assignment
    statement = select(a).where(*OpenWork(campaign_id, phase_id, day).where())
    return list(session.exec(statement.order_by(col(a.occurrence), col(a.id))))
