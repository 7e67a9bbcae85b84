"""Sending the outbox: claim, send, settle; e-mails refused for good become dead letters until resent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from models import tables
from models.vocabulary import OutboxStatus
from tasks.mail.outbox import parse_stored
from tasks.mail.smtp import SendResult, SmtpConfig, send_messages

CLAIM_MARGIN = timedelta(seconds=30)  # a claim older than the budget plus this belonged to a dead process


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: list[str]  # "recipient: error" lines of e-mails left pending for the next run, no secrets
    undeliverable: list[str] = field(default_factory=list)  # dead-lettered by this run

    def __add__(self, other: Delivery) -> Delivery:
        return Delivery(self.sent + other.sent, self.failed + other.failed, self.undeliverable + other.undeliverable)


def claim(
    session: Session, campaign_id: str, phase_id: str, now: datetime, budget: float, *, after: int = 0, limit: int
) -> list[tables.Outbox]:
    """Take up to `limit` of the phase's unsent e-mails with ids above `after`, for this process; two runs never
    take the same row.

    A run holds its claim for at most its delivery budget, so an older `sending` row was left by a killed run.
    """
    outbox = tables.Outbox
    abandoned = now - timedelta(seconds=budget) - CLAIM_MARGIN
    ready = (
        col(outbox.campaign_id) == campaign_id,
        col(outbox.phase_id) == phase_id,
        col(outbox.id) > after,
        or_(
            col(outbox.status) == OutboxStatus.PENDING,
            (col(outbox.status) == OutboxStatus.SENDING) & (col(outbox.claimed_at) < abandoned),
        ),
    )
    first = select(col(outbox.id)).where(*ready).order_by(col(outbox.id)).limit(limit)
    # `ready` again outside: on PostgreSQL a row another run claimed meanwhile is re-checked and skipped
    statement = update(outbox).where(col(outbox.id).in_(first.scalar_subquery()), *ready)
    taken = session.connection().execute(
        statement.values(status=OutboxStatus.SENDING, claimed_at=now).returning(col(outbox.id))
    )
    ids = [row[0] for row in taken]
    fresh = select(outbox).where(col(outbox.id).in_(ids)).execution_options(populate_existing=True)
    return list(session.exec(fresh.order_by(col(outbox.id))))


async def send_claimed(
    rows: list[tables.Outbox], config: SmtpConfig, *, concurrency: int, budget: float | None = None
) -> list[SendResult]:
    """Send claimed rows as stored (same bytes, same Message-ID); one result per row, in order."""
    messages = [parse_stored(row.body) for row in rows]
    return await send_messages(messages, config, concurrency=concurrency, budget=budget)


def settle(
    session: Session, rows: list[tables.Outbox], results: list[SendResult], now: datetime, *, give_up_after: int
) -> Delivery:
    """Mark each claimed row sent, pending again (with its error), or undeliverable.

    Undeliverable: a permanent refusal (5xx, a mailbox the server cannot take), or `give_up_after` runs that
    each tried it and failed for now (4xx). Rows never tried (server down, budget used up) keep their count.
    """
    failed, dead = [], []
    for row, result in zip(rows, results, strict=True):
        row.claimed_at = None
        if result.ok:
            row.attempts += 1
            row.status, row.last_error, row.sent_at = OutboxStatus.SENT, None, now
        elif result.outcome == "unsent":
            row.status, row.last_error = OutboxStatus.PENDING, result.error
        else:
            row.attempts += 1
            final = result.outcome == "final" or row.attempts >= give_up_after
            row.status, row.last_error = (OutboxStatus.UNDELIVERABLE if final else OutboxStatus.PENDING), result.error
            if final and result.outcome != "final":
                row.last_error = f"gave up after {row.attempts} runs: {result.error}"
        session.add(row)
        if row.status == OutboxStatus.UNDELIVERABLE:
            dead.append(f"{row.recipient}: {row.last_error}")
        elif row.status == OutboxStatus.PENDING:
            failed.append(f"{row.recipient}: {row.last_error}")
    return Delivery(len(rows) - len(failed) - len(dead), failed, dead)


def dead_letters(session: Session, campaign_id: str) -> list[tables.Outbox]:
    """The campaign's e-mails given up on, oldest first."""
    return list(
        session.exec(
            select(tables.Outbox)
            .where(tables.Outbox.campaign_id == campaign_id, tables.Outbox.status == OutboxStatus.UNDELIVERABLE)
            .order_by(col(tables.Outbox.day), col(tables.Outbox.id))
        )
    )


def resend(session: Session, campaign_id: str, message_ids: list[str] | None) -> list[tables.Outbox]:
    """Put dead letters (all, or those named) back to pending with their Message-ID; the next run sends them."""
    rows = [r for r in dead_letters(session, campaign_id) if message_ids is None or r.message_id in message_ids]
    for row in rows:
        row.status, row.attempts, row.claimed_at = OutboxStatus.PENDING, 0, None
        session.add(row)
    return rows
