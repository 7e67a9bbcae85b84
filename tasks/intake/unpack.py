"""A downloaded message taken apart: who sent it, its text, and each attachment written to a file of its own.

Mail as people send it: forwarded messages (message/rfc822 parts, or .eml files attached) are looked inside;
images shown in the body are marked inline; a winmail.dat (Outlook's TNEF) is named as unsupported, not lost; a
message the parser cannot make sense of is marked malformed with the reason, never raised.
"""

from __future__ import annotations

import email
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import errors
from email.message import Message
from email.policy import compat32
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

from models.intake import Attachment, Letter, body_text, decoded, unescaped
from models.materials import kind_of
from models.vocabulary import address_key
from tasks.intake.blobs import set_aside

TEXT_KEPT = 20_000  # characters of body text kept for the title words
DEPTH = 5  # forwarded messages inside forwarded messages, looked into this deep
NESTING = 30  # multiparts inside multiparts: deeper than any mail program writes
TNEF = ("application/ms-tnef", "application/vnd.ms-tnef")
BROKEN = (
    errors.NoBoundaryInMultipartDefect,
    errors.StartBoundaryNotFoundDefect,
    errors.CloseBoundaryNotFoundDefect,
    errors.MultipartInvariantViolationDefect,
)


@dataclass
class _Found:
    into: Path
    aside: dict[bytes, Path]  # marker → a large part's content, decoded before parsing
    text: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    files: list[Attachment] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)


def unpack(raw: Path, into: Path) -> Letter:
    """The message in the file `raw`, its attachments written under the folder `into` (large ones decoded there
    before the message is parsed: blobs.py)."""
    try:
        reduced, aside = set_aside(raw, into / "aside")
        with reduced.open("rb") as file:
            message = email.message_from_binary_file(file, policy=compat32)
        return _letter(message, _Found(into, aside))
    except (ValueError, LookupError, TypeError, IndexError, AttributeError, errors.MessageError) as error:
        return Letter(sender="", subject="", text="", malformed=f"邮件无法解析（{type(error).__name__}）")


def _letter(message: Message, found: _Found) -> Letter:
    _walk(message, found, 0, 0)
    sender = _address(message)
    text = "\n".join(found.text) or _html_text("\n".join(found.html))
    problem = "" if "@" in sender else "没有可识别的发件人地址"
    if found.broken and not problem:
        problem = "邮件结构损坏：" + "；".join(dict.fromkeys(found.broken))
    return Letter(
        sender=sender,
        subject=decoded(_header(message, "Subject")),
        text=text[:TEXT_KEPT],
        attachments=tuple(found.files),
        sent_at=_date(_header(message, "Date")),
        authentication=" ".join((_header(message, "Authentication-Results") or "").split()),
        malformed=problem,
        forwarded_from=tuple(found.forwarded),
    )


def _walk(part: Message, found: _Found, depth: int, level: int) -> None:
    found.broken += [_defect_text(d) for d in part.defects if isinstance(d, BROKEN)]
    kind = part.get_content_type()
    if part.is_multipart() and kind != "message/rfc822":
        if level >= NESTING:
            found.broken.append("多部分结构嵌套过深")
            return
        for sub in part.get_payload():
            if isinstance(sub, Message):
                _walk(sub, found, depth, level + 1)
        return
    if kind == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message) and depth < DEPTH:
            _forwarded(inner[0], found, depth)
        return
    name = _filename(part)
    attached = name or str(part.get("Content-Disposition", "")).lower().startswith("attachment")
    if not attached and kind in ("text/plain", "text/html"):
        text = body_text(_content(part, found), part.get_content_charset())
        (found.text if kind == "text/plain" else found.html).append(text)
        return
    if name.lower().endswith(".eml") and depth < DEPTH:
        inner = email.message_from_bytes(_content(part, found), policy=compat32)
        _forwarded(inner, found, depth)
        return
    _attachment(part, name, found)


def _forwarded(inner: Message, found: _Found, depth: int) -> None:
    """A forwarded message: its sender noted, its text and attachments read as the outer message's."""
    found.forwarded.append(_address(inner))
    subject = decoded(_header(inner, "Subject"))
    if subject:
        found.text.append(subject)
    _walk(inner, found, depth + 1, 0)


def _attachment(part: Message, name: str, found: _Found) -> None:
    kind = part.get_content_type()
    name = name or f"未命名附件{len(found.files) + 1}"
    path = found.into / f"{len(found.files) + 1:03d}"
    data = _bytes(part)
    if data in found.aside:
        found.aside.pop(data).rename(path)
    else:
        path.write_bytes(data)
    size = path.stat().st_size
    if kind in TNEF or name.lower() == "winmail.dat":
        path.unlink()
        found.files.append(Attachment(name, size, None, unsupported=True))
        return
    inline = kind.startswith("image/") and (
        str(part.get("Content-Disposition", "")).lower().startswith("inline") or part.get("Content-ID") is not None
    )
    found.files.append(Attachment(name, size, kind_of(path) if size else None, path, inline=inline))


def _header(part: Message, name: str) -> str | None:
    """A header as it came: compat32 hands raw 8-bit headers back as Header objects that have lost the bytes."""
    wanted = name.lower()
    return next((str(value) for key, value in part.raw_items() if key.lower() == wanted), None)


def _address(part: Message) -> str:
    return address_key(parseaddr(decoded(_header(part, "From")))[1])


def _filename(part: Message) -> str:
    """The attachment's name: RFC 2231 parameters, RFC 2047 words or raw 8-bit bytes (UTF-8, else GB18030)."""
    holder = Message()
    for name in ("Content-Disposition", "Content-Type"):
        value = _header(part, name)
        if value is not None:
            holder[name] = unescaped(value)
    return decoded(holder.get_filename())


def _content(part: Message, found: _Found) -> bytes:
    """A leaf part's content in memory (a text, a forwarded message), set aside or not."""
    data = _bytes(part)
    return found.aside[data].read_bytes() if data in found.aside else data


def _bytes(part: Message) -> bytes:
    """A leaf part's content, transfer encoding undone."""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _html_text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(script|style).*?</\1>", " ", markup)))


def _date(value: str | None) -> datetime | None:
    try:
        return parsedate_to_datetime(decoded(value)) if value else None
    except (TypeError, ValueError, IndexError):
        return None


def _defect_text(defect: errors.MessageDefect) -> str:
    return {
        errors.NoBoundaryInMultipartDefect: "多部分邮件缺少分隔符",
        errors.StartBoundaryNotFoundDefect: "找不到分隔符",
        errors.CloseBoundaryNotFoundDefect: "邮件不完整（缺少结束分隔符）",
        errors.MultipartInvariantViolationDefect: "多部分结构不一致",
    }.get(type(defect), "结构错误")
