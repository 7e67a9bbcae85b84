"""Reading what was handed in: a claim's files, an assignment's rounds, one file for a download."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from models import tables
from tasks.db import in_chunks


@dataclass(frozen=True)
class Round:
    """One claim on an assignment with its files: resubmissions after a 退回 keep every round."""

    claim: tables.Claim
    files: list[tables.MaterialFile]


def claim_files(session: Session, claim_ids: Iterable[int]) -> dict[int, list[tables.MaterialFile]]:
    """claim id → its files, in the order they were handed in."""
    found: dict[int, list[tables.MaterialFile]] = defaultdict(list)
    for chunk in in_chunks(claim_ids):
        query = select(tables.MaterialFile).where(col(tables.MaterialFile.claim_id).in_(chunk))
        for row in session.exec(query.order_by(col(tables.MaterialFile.id))):
            assert row.claim_id is not None
            found[row.claim_id].append(row)
    return dict(found)


def rounds(session: Session, assignment_id: int) -> list[Round]:
    """Every claim on the assignment, oldest first, with its files."""
    query = select(tables.Claim).where(tables.Claim.assignment_id == assignment_id).order_by(col(tables.Claim.id))
    claims = list(session.exec(query))
    files = claim_files(session, [c.id for c in claims if c.id is not None])
    return [Round(claim, files.get(claim.id or 0, [])) for claim in claims]


def file_row(session: Session, campaign_id: str, file_id: int) -> tables.MaterialFile | None:
    row = session.get(tables.MaterialFile, file_id)
    return row if row is not None and row.campaign_id == campaign_id else None


def highlights_of(session: Session, campaign_id: str, units: Iterable[str]) -> list[tables.Highlight]:
    """The units' highlights, newest first."""
    query = select(tables.Highlight).where(
        tables.Highlight.campaign_id == campaign_id, col(tables.Highlight.assignee).in_(list(units))
    )
    return list(session.exec(query.order_by(col(tables.Highlight.id).desc())))
