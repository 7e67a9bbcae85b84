"""One pass over the campaign mailbox (SPEC §9): every message not yet registered is downloaded, taken apart,
matched and registered in a transaction of its own, so a crash or a concurrent run registers nothing twice and a
message that cannot be read waits as 待分拣 instead of stopping the run.
"""

from __future__ import annotations

import logging
import shutil
import ssl
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from models.intake import IntakeMessage, IntakeReason, Letter, Matched, decide, units_of
from models.materials import MaterialsRefused
from models.plan import Plan
from models.settings import Settings
from tasks.approvals import Filed
from tasks.db import session_scope
from tasks.engine import assign
from tasks.intake.filing import ClaimPending, Filing, candidates, file_matched
from tasks.intake.mailbox import (
    MailboxConfig,
    Waiting,
    connected,
    download,
    head,
    move_done,
    open_folder,
    waiting,
)
from tasks.intake.register import advance, known, message_row, read_up_to, register, to_triage
from tasks.intake.unpack import unpack
from tasks.store import record_audit, today_in

log = logging.getLogger("greencomm.intake")
HEADROOM = 4 / 3  # base64 makes a file a third larger in the message


@dataclass
class Pass:
    """What one pass did: messages registered (filed, highlights, 待分拣), copies skipped, claims to start."""

    filed: int = 0
    highlights: int = 0
    triage: int = 0
    skipped: int = 0
    started: list[Filed] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.filed} claim(s) filed, {self.highlights} highlight(s), {self.triage} waiting for triage, "
            f"{self.skipped} already registered"
        )


def read_mailbox(
    settings: Settings, plan: Plan, config: MailboxConfig, *, now: datetime, context: ssl.SSLContext | None = None
) -> Pass:
    """Register every new message of the folder once; move the handled ones if a done-folder is set."""
    with connected(config, context) as imap:
        uidvalidity = open_folder(imap, config)
        with session_scope(settings.database_url) as session:
            for phase in plan.phases:  # today's work exists before the day's phase run (08:00 mail, 09:00 run)
                assign(session, plan, phase.id, today_in(plan, now))
            listed = waiting(imap, read_up_to(session, plan.campaign.id, config.folder, uidvalidity))
            seen = known(session, plan.campaign.id, [m.message_id for m in listed])
        reading = _Reading(imap, settings, plan, config, uidvalidity, now)
        handled = [m.uid for m in listed if reading.one(m, seen) in ("filed", "highlight", "skipped")]
        if config.done_folder:
            move_done(imap, handled, config.done_folder)
    return reading.done


@dataclass
class _Reading:
    """One pass over one folder: each message in a transaction of its own."""

    imap: IMAPClient
    settings: Settings
    plan: Plan
    config: MailboxConfig
    uidvalidity: int
    now: datetime
    done: Pass = field(default_factory=Pass)

    def one(self, message: Waiting, seen: set[str]) -> str:
        """Registered and filed, or 待分拣, or skipped as a copy; the folder's progress moves with it."""
        with session_scope(self.settings.database_url) as session:
            if message.message_id and message.message_id in seen:
                outcome = "skipped"
            else:
                try:
                    outcome = self._take(session, message)
                except (SQLAlchemyError, IMAPClientError, OSError):
                    raise  # the database or the mailbox is unwell: the run fails and the next one retries
                except Exception as error:  # this message alone: it waits for a person, the run goes on
                    log.exception("message UID %s could not be read", message.uid)
                    session.rollback()
                    outcome = self._unreadable(session, message, error)
            advance(session, self.plan.campaign.id, self.config.folder, self.uidvalidity, message.uid)
        if outcome == "skipped":
            self.done.skipped += 1
        return outcome

    def _take(self, session: Session, message: Waiting) -> str:
        limit = self.settings.upload_max_mb * 1024 * 1024 * 5 * HEADROOM + (1 << 20)
        with tempfile.TemporaryDirectory(prefix="greencomm-intake-") as scratch:
            raw, files = Path(scratch) / "message.eml", Path(scratch) / "files"
            files.mkdir()
            too_large = message.size > limit
            if too_large:  # only its head is read: who sent it and what about
                raw.write_bytes(head(self.imap, message))
                sha256 = f"uid-{self.uidvalidity}-{message.uid}"
            else:
                with raw.open("wb") as target:
                    sha256 = download(self.imap, message, target)
            letter = unpack(raw, files)
            row = self._register(session, message, sha256, letter)
            if row is None:
                return "skipped"
            if too_large:
                outcome = self._wait(row, IntakeReason.REFUSED, _too_large(message, self.settings))
            else:
                outcome = self._settle(session, row, letter)
            if outcome == "triage" and not too_large:
                _keep(self.settings, raw, sha256)
        self._audit(session, message, outcome, row)
        return outcome

    def _register(self, session: Session, message: Waiting, sha256: str, letter: Letter) -> IntakeMessage | None:
        where = (self.config.folder, self.uidvalidity, message.uid)
        fingerprint = message.message_id or f"sha256:{sha256}"
        return register(session, message_row(self.plan.campaign.id, where, fingerprint, sha256, letter, self.now))

    def _settle(self, session: Session, row: IntakeMessage, letter: Letter) -> str:
        plan, settings, day = self.plan, self.settings, today_in(self.plan, self.now)
        decision = decide(plan, letter, candidates(session, plan, units_of(plan, letter.sender), day))
        if not isinstance(decision, Matched):
            return self._wait(row, decision.reason, decision.detail)
        filing = Filing(day, self.now, settings.mail_from, settings.files_dir, settings.upload_max_mb)
        try:
            with session.begin_nested():  # refused files leave nothing behind
                filed = file_matched(session, plan, row, letter, decision, filing)
        except MaterialsRefused as refused:
            return self._wait(row, IntakeReason.REFUSED, "；".join(refused.problems))
        except ClaimPending:
            return self._wait(row, IntakeReason.PENDING, decision.candidate.item.label)
        self.done.started += [filed] if filed is not None else []
        if decision.highlight:
            self.done.highlights += 1
            return "highlight"
        self.done.filed += 1
        return "filed"

    def _wait(self, row: IntakeMessage, reason: IntakeReason, detail: str) -> str:
        to_triage(row, reason, detail)
        self.done.triage += 1
        return "triage"

    def _unreadable(self, session: Session, message: Waiting, error: Exception) -> str:
        fingerprint = message.message_id or f"uid-{self.uidvalidity}-{message.uid}"
        row = self._register(session, message, fingerprint, Letter(sender="", subject="", text=""))
        if row is None:
            return "skipped"
        outcome = self._wait(row, IntakeReason.MALFORMED, f"读取时出错（{type(error).__name__}）")
        self._audit(session, message, outcome, row)
        return outcome

    def _audit(self, session: Session, message: Waiting, outcome: str, row: IntakeMessage) -> None:
        detail = {"uid": message.uid, "sender": row.sender, "reason": row.reason}
        record_audit(
            session, self.plan.campaign.id, actor="intake", action=f"intake.{outcome}", detail=detail, now=self.now
        )


def _too_large(message: Waiting, settings: Settings) -> str:
    return f"邮件大小{message.size / 1024 / 1024:.0f}MB，超过单次报送{settings.upload_max_mb * 5}MB的上限，未下载"


def _keep(settings: Settings, raw: Path, sha256: str) -> None:
    """A 待分拣 message's bytes, for when a person assigns it (the mailbox may have changed by then); beside the
    stored materials, so a backup keeps them too."""
    kept = kept_message(settings, sha256)
    kept.parent.mkdir(parents=True, exist_ok=True)
    if not kept.exists():
        shutil.copyfile(raw, kept)


def kept_message(settings: Settings, sha256: str) -> Path:
    return settings.files_dir / "mailbox" / f"{sha256}.eml"
