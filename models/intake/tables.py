"""The mailbox's progress and every message registered from it (SPEC §9)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class IntakeCursor(SQLModel, table=True):
    """How far a folder has been read: UIDs up to `last_uid` under `uidvalidity` are registered."""

    campaign_id: str = Field(foreign_key="campaign.id", primary_key=True)
    folder: str = Field(primary_key=True)
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))  # IMAP's are unsigned 32-bit
    last_uid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class IntakeMessage(SQLModel, table=True):
    """One message read from the mailbox, once per fingerprint (its Message-ID, else its SHA-256): a second copy,
    a concurrent run or a re-scan after a UIDVALIDITY change registers nothing again.

    `status` is an IntakeStatus; `reason` an IntakeReason while it waits as 待分拣."""

    __table_args__ = (UniqueConstraint("campaign_id", "fingerprint"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True)
    fingerprint: str
    folder: str
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    uid: int = Field(sa_column=Column(BigInteger, nullable=False))
    sha256: str
    sender: str
    subject: str
    sent_at: datetime | None = None
    read_at: datetime
    attachments: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))  # [{name, size, kind}]
    status: str
    reason: str | None = None
    detail: str = ""  # what exactly was wrong (a file's name, the defect), in Chinese
    assignment_id: int | None = Field(default=None, foreign_key="assignment.id")
    item_id: str | None = None
    assignee: str | None = None
    request_id: int | None = None  # the claim (or highlight) filed from it
    settled_by: str | None = None
    settled_at: datetime | None = None
