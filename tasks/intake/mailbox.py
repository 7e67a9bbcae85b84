"""The campaign mailbox over IMAP (SPEC §9), through IMAPClient.

Read-only unless a done-folder is set: the folder is opened with EXAMINE and every body is fetched with
BODY.PEEK, so no flag (not even \\Seen) changes. A message is downloaded in slices straight to a file, so a large
attachment never sits in memory as one IMAP literal.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import BinaryIO, Literal

from imapclient import IMAPClient
from pydantic import SecretStr

from models.settings import Settings

SLICE = 4 << 20  # bytes fetched per command while downloading a message
TIMEOUT = 60.0


@dataclass(frozen=True)
class MailboxConfig:
    """Where the mailbox is and how to log in; the password stays a SecretStr (never printed or logged)."""

    host: str
    port: int
    security: Literal["tls", "starttls", "plain"]
    username: str
    password: SecretStr
    folder: str
    done_folder: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> MailboxConfig | None:
        """None when no mailbox is configured (GREENCOMM_INTAKE_IMAP_HOST unset)."""
        if not settings.intake_imap_host:
            return None
        assert settings.intake_imap_username and settings.intake_imap_password  # Settings checked both
        return cls(
            settings.intake_imap_host,
            settings.intake_port,
            settings.intake_imap_security,
            settings.intake_imap_username,
            settings.intake_imap_password,
            settings.intake_imap_folder,
            settings.intake_done_folder,
        )

    @property
    def where(self) -> str:
        return f"{self.username}@{self.host}:{self.port}/{self.folder}"


@dataclass(frozen=True)
class Waiting:
    """A message not yet registered: its UID, size and Message-ID (empty when it has none)."""

    uid: int
    size: int
    message_id: str


@contextmanager
def connected(config: MailboxConfig, context: ssl.SSLContext | None = None) -> Iterator[IMAPClient]:
    """A logged-in connection (TLS, or STARTTLS before the password is sent), logged out afterwards."""
    context = context or ssl.create_default_context()
    tls = config.security == "tls"
    imap = IMAPClient(config.host, config.port, ssl=tls, ssl_context=context if tls else None, timeout=TIMEOUT)
    try:
        if config.security == "starttls":
            imap.starttls(context)
        imap.login(config.username, config.password.get_secret_value())
        yield imap
    finally:
        try:
            imap.logout()
        except Exception:  # the connection may be gone already; nothing to undo
            imap.shutdown()


def open_folder(imap: IMAPClient, config: MailboxConfig) -> int:
    """Select the folder (read-only unless handled messages are moved away); its UIDVALIDITY."""
    status = imap.select_folder(config.folder, readonly=config.done_folder is None)
    return int(status[b"UIDVALIDITY"])


def waiting(imap: IMAPClient, after_uid: int) -> list[Waiting]:
    """Messages with a UID above `after_uid`, in UID order, with their size and Message-ID (one FETCH)."""
    uids = sorted(uid for uid in imap.search(["UID", f"{after_uid + 1}:*"]) if uid > after_uid)
    if not uids:
        return []
    found = imap.fetch(uids, ["RFC822.SIZE", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    parser = BytesHeaderParser(policy=compat32)
    listed = []
    for uid in uids:
        data = found.get(uid)
        if data is None:  # expunged meanwhile
            continue
        head = parser.parsebytes(data.get(b"BODY[HEADER.FIELDS (MESSAGE-ID)]", b""))
        listed.append(Waiting(uid, int(data[b"RFC822.SIZE"]), " ".join(str(head.get("Message-ID", "")).split())))
    return listed


def download(imap: IMAPClient, message: Waiting, target: BinaryIO) -> str:
    """The whole message into `target`, a slice at a time; its SHA-256."""
    digest, offset = hashlib.sha256(), 0
    while offset < message.size or offset == 0:
        found = imap.fetch([message.uid], [f"BODY.PEEK[]<{offset}.{SLICE}>"]).get(message.uid, {})
        chunk = found.get(f"BODY[]<{offset}>".encode()) or b""
        if not chunk:
            break
        target.write(chunk)
        digest.update(chunk)
        offset += len(chunk)
    return digest.hexdigest()


def head(imap: IMAPClient, message: Waiting) -> bytes:
    """The message's header only (a message too large to download is still listed by sender and subject)."""
    found = imap.fetch([message.uid], ["BODY.PEEK[HEADER]"]).get(message.uid, {})
    data = found.get(b"BODY[HEADER]", b"")
    return data if isinstance(data, bytes) else b""


def move_done(imap: IMAPClient, uids: list[int], folder: str) -> None:
    """Handled messages into the done-folder (made if missing): MOVE where the server has it, else COPY, mark
    deleted and expunge those UIDs only."""
    if not uids:
        return
    if not imap.folder_exists(folder):
        imap.create_folder(folder)
    if imap.has_capability("MOVE"):
        imap.move(uids, folder)
        return
    imap.copy(uids, folder)
    imap.delete_messages(uids)
    if imap.has_capability("UIDPLUS"):
        imap.expunge(uids)
