"""Progress rows that file or decide claims and extensions, applied in date order, one by one."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from datetime import date, datetime

from sqlmodel import Session

from models.records import ProgressRow
from tasks.approvals import decisions
from tasks.approvals.decisions import DecisionError


def apply_decisions(
    session: Session, campaign_id: str, rows: Sequence[ProgressRow], *, actor: str, now: datetime
) -> list[str]:
    """Apply each row against the assignments as they stand; one problem line per refused row."""
    problems = []
    for row in rows:
        try:
            _apply(session, campaign_id, row, actor, now)
        except DecisionError as error:
            problems.append(f"row {row.row}: {row.action} {row.target} for {row.assignee}: {error}")
    return problems


def _apply(session: Session, campaign_id: str, row: ProgressRow, actor: str, now: datetime) -> None:
    assignment = decisions.earliest_open(session, campaign_id, row.target, row.assignee)
    assert assignment.id is not None
    if assignment.assigned_on > row.day:
        raise DecisionError(f"the open assignment starts on {assignment.assigned_on}, after {row.day}")
    if row.action == "claim":
        with suppress(decisions.AlreadyPending):  # filing twice keeps the first
            decisions.file_claim(session, assignment, day=row.day, note=row.value, actor=actor, now=now)
        return
    if row.action == "extend":
        extension = decisions.request_extension(
            session, assignment, day=row.day, new_due=date.fromisoformat(row.value), reason="", actor=actor, now=now
        )
        assert extension.id is not None
        decisions.approve_extension(session, extension.id, actor=actor, comment="", day=row.day, now=now)
        return
    claim = decisions.pending_claim(session, assignment.id)
    if claim is None or claim.id is None:
        raise DecisionError("no pending claim to decide")
    decide = decisions.confirm_claim if row.action == "confirm" else decisions.reject_claim
    decide(session, claim.id, actor=actor, comment=row.value, day=row.day, now=now)
