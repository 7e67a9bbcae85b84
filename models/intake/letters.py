"""A message as the matching rules see it, and the header rules for reading mail as people send it.

Headers arrive in three ways: RFC 2047 encoded words (=?GB2312?B?…?=), RFC 2231 parameters (filename*=gbk''…),
and raw 8-bit bytes, as older Foxmail and Outlook send them (GB18030/GBK, sometimes UTF-8). The parser hands raw
bytes over as surrogate escapes; they are tried as UTF-8, then GB18030 (a superset of GBK and GB2312).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.header import decode_header
from pathlib import Path

# GB2312 and GBK texts are GB18030 texts: one codec reads them all (and the characters GBK lacks)
_CHARSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030"}


@dataclass(frozen=True)
class Attachment:
    """A file the message carries, kept at `path` (None: not kept, e.g. a winmail.dat)."""

    name: str
    size: int
    kind: str | None  # by content (magic bytes): pdf, ofd, word, sheet, image, archive; None: none of these
    path: Path | None = None
    inline: bool = False  # an image shown in the body (a signature, a logo), not handed in
    unsupported: bool = False  # a container greencomm cannot open (TNEF winmail.dat)


@dataclass(frozen=True)
class Letter:
    """One message: who sent it, what it says and carries, and whether it could be read at all."""

    sender: str  # the From address, as address_key compares it
    subject: str
    text: str  # the plain-text body (and that of forwarded messages), for the item's title words
    attachments: tuple[Attachment, ...] = ()
    sent_at: datetime | None = None
    authentication: str = ""  # the receiving server's Authentication-Results
    malformed: str = ""  # why the message could not be read, in Chinese; empty when it could
    forwarded_from: tuple[str, ...] = field(default=())  # the senders of forwarded messages inside

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2].lower()

    @property
    def materials(self) -> tuple[Attachment, ...]:
        """What is handed in: the attachments, less inline images unless those are all there is."""
        files = [a for a in self.attachments if not a.unsupported]
        proper = [a for a in files if not a.inline]
        return tuple(proper or files)


def decoded(raw: str | None) -> str:
    """A header's text: raw 8-bit bytes and RFC 2047 encoded words decoded, whitespace folded to one line."""
    if not raw:
        return ""
    text = unescaped(raw)
    parts = []
    for chunk, charset in decode_header(text):
        if isinstance(chunk, bytes):
            parts.append(_bytes_text(chunk, charset))
        else:
            parts.append(chunk)
    return " ".join("".join(parts).split())


def unescaped(text: str) -> str:
    """Surrogate escapes (the parser's stand-in for 8-bit header bytes) read as UTF-8, else GB18030."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    data = text.encode("ascii", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", "replace")


def _bytes_text(data: bytes, charset: str | None) -> str:
    name = (charset or "ascii").lower()
    name = _CHARSETS.get(name, name)
    try:
        return data.decode(name)
    except LookupError:  # a charset Python does not know: the likeliest ones for this mailbox
        pass
    except UnicodeDecodeError:
        if name not in ("ascii", "us-ascii"):
            return data.decode(name, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", "replace")


def body_text(data: bytes, charset: str | None) -> str:
    """A text part's bytes as text, in its declared charset (GBK read as GB18030), else UTF-8, else GB18030."""
    return _bytes_text(data, charset or "utf-8")


_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)([^;]*)", re.IGNORECASE)
_DOMAIN = re.compile(r"(?:smtp\.mailfrom|header\.from|header\.d|header\.i)\s*=\s*\"?([^\s;\"]+)", re.IGNORECASE)


def failed_authentication(results: str, domain: str) -> list[str]:
    """The methods (spf, dkim, dmarc) the receiving server's Authentication-Results record as failing for
    `domain`; a result naming no domain counts for the sender's. A DKIM failure next to a passing signature of
    the same domain does not count (a mailing list may have broken one of two)."""
    failed, passed = [], set()
    for method, result, rest in _RESULT.findall(results):
        named = _DOMAIN.search(rest)
        about = named.group(1).rpartition("@")[2].lower() if named else domain
        if about != domain.lower():
            continue
        if result.lower() == "pass":
            passed.add(method.lower())
        elif result.lower() in ("fail", "permerror"):
            failed.append(method.lower())
    return sorted({m for m in failed if m not in passed})
