"""Every status a row moves through, as the database stores it."""

from __future__ import annotations

from enum import StrEnum


class ClaimStatus(StrEnum):
    """办结申报."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # a twin of a pending claim, filed before the database refused twins (migration 0010)


class ExtensionStatus(StrEnum):
    """延期 (an extension recorded from a progress row is approved at once)."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # the assignment was confirmed done while the request waited (SPEC §7)


class OutboxStatus(StrEnum):
    """An e-mail: stored, taken by a sender, sent, or refused for good (a dead letter until resent)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    UNDELIVERABLE = "undeliverable"


class IntakeStatus(StrEnum):
    """A message read from the campaign mailbox (SPEC §9): filed as a claim or a highlight, or waiting as 待分拣
    until a person assigns it to an item or ignores it."""

    FILED = "filed"
    HIGHLIGHT = "highlight"
    TRIAGE = "triage"
    ASSIGNED = "assigned"
    IGNORED = "ignored"
