"""The mailbox's rows: how far each folder was read, the messages registered, and what waits as 待分拣.

Each function takes a session and leaves committing to its caller (one transaction per message).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select, update

from models.intake import Attachment, IntakeCursor, IntakeMessage, IntakeReason, Letter
from models.vocabulary import IntakeStatus
from tasks.db import insert_ignoring_duplicates


def read_up_to(session: Session, campaign_id: str, folder: str, uidvalidity: int) -> int:
    """The last UID registered under this UIDVALIDITY; 0 when the folder is new or its UIDs were renumbered
    (then every message is looked at again, and those registered before are known by their fingerprint)."""
    cursor = session.get(IntakeCursor, (campaign_id, folder))
    return cursor.last_uid if cursor is not None and cursor.uidvalidity == uidvalidity else 0


def advance(session: Session, campaign_id: str, folder: str, uidvalidity: int, uid: int) -> None:
    """Registered up to `uid`: never moved back by a concurrent run that got less far."""
    row = {"campaign_id": campaign_id, "folder": folder, "uidvalidity": uidvalidity, "last_uid": uid}
    if insert_ignoring_duplicates(session, IntakeCursor, [row], ["campaign_id", "folder"]):
        return
    cursor = IntakeCursor
    mine = (col(cursor.campaign_id) == campaign_id, col(cursor.folder) == folder)
    renumbered = col(cursor.uidvalidity) != uidvalidity
    behind = (col(cursor.uidvalidity) == uidvalidity) & (col(cursor.last_uid) < uid)
    session.execute(
        update(cursor).where(*mine).where(renumbered | behind).values(uidvalidity=uidvalidity, last_uid=uid)
    )


def known(session: Session, campaign_id: str, fingerprints: Iterable[str]) -> set[str]:
    wanted = sorted({f for f in fingerprints if f})
    if not wanted:
        return set()
    query = select(IntakeMessage.fingerprint).where(
        IntakeMessage.campaign_id == campaign_id, col(IntakeMessage.fingerprint).in_(wanted)
    )
    return set(session.exec(query))


def register(session: Session, row: IntakeMessage) -> IntakeMessage | None:
    """The message's row, once per fingerprint; None when another run (or a copy) registered it first.

    One INSERT … ON CONFLICT DO NOTHING, the transaction's first statement: on SQLite it takes the write lock
    before anything is read, so concurrent runs queue instead of failing on a stale snapshot."""
    values = row.model_dump(exclude={"id"})
    if not insert_ignoring_duplicates(session, IntakeMessage, [values], ["campaign_id", "fingerprint"]):
        return None
    query = select(IntakeMessage).where(
        IntakeMessage.campaign_id == row.campaign_id, IntakeMessage.fingerprint == row.fingerprint
    )
    return session.exec(query).one()


def message_row(
    campaign_id: str, where: tuple[str, int, int], fingerprint: str, sha256: str, letter: Letter, now: datetime
) -> IntakeMessage:
    """A registered message (status set by the caller); `where` is (folder, UIDVALIDITY, UID)."""
    folder, uidvalidity, uid = where
    return IntakeMessage(
        campaign_id=campaign_id,
        fingerprint=fingerprint,
        folder=folder,
        uidvalidity=uidvalidity,
        uid=uid,
        sha256=sha256,
        sender=letter.sender,
        subject=letter.subject[:500],
        sent_at=letter.sent_at,
        read_at=now,
        attachments=[_listed(a) for a in letter.attachments],
        status=IntakeStatus.TRIAGE,
    )


def _listed(file: Attachment) -> dict[str, Any]:
    return {"name": file.name, "size": file.size, "kind": file.kind, "inline": file.inline}


def to_triage(row: IntakeMessage, reason: IntakeReason, detail: str) -> None:
    row.status, row.reason, row.detail = IntakeStatus.TRIAGE, reason, detail[:1000]


def triage(session: Session, campaign_id: str) -> list[IntakeMessage]:
    """What waits for a person (待分拣), oldest first."""
    query = select(IntakeMessage).where(
        IntakeMessage.campaign_id == campaign_id, IntakeMessage.status == IntakeStatus.TRIAGE
    )
    return list(session.exec(query.order_by(col(IntakeMessage.read_at), col(IntakeMessage.id))))


def waiting_row(session: Session, campaign_id: str, uid: int) -> IntakeMessage | None:
    """The 待分拣 message with this UID (the newest, should UIDs have been renumbered since)."""
    query = select(IntakeMessage).where(
        IntakeMessage.campaign_id == campaign_id,
        IntakeMessage.uid == uid,
        IntakeMessage.status == IntakeStatus.TRIAGE,
    )
    return session.exec(query.order_by(col(IntakeMessage.id).desc())).first()
