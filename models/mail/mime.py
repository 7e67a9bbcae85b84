"""MIME for greencomm's e-mails: headers encoded once, digests written straight to bytes; pure."""

from __future__ import annotations

import base64
import email.policy
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr, quote

UTF8 = email.policy.default.clone(utf8=True)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


@dataclass(frozen=True)
class Rendered:
    """A digest as it is sent: its header lines (encoded already) and its two alternatives."""

    headers: tuple[tuple[str, str], ...]
    text: str
    html: str
    boundary: str


def as_message(rendered: Rendered) -> EmailMessage:
    message = EmailMessage()
    for name, value in rendered.headers:
        message.set_raw(name, value)
    message.set_payload([_utf8_part(rendered.text, "plain"), _utf8_part(rendered.html, "html")])
    return message


def _utf8_part(text: str, subtype: str) -> EmailMessage:
    """One alternative, as set_content/add_alternative would write it (same bytes)."""
    part = EmailMessage()
    for name, value in _part_headers(subtype):
        part.set_raw(name, value)
    part.set_payload(base64.encodebytes(text.encode("utf-8")).decode("ascii"))
    return part


def _part_headers(subtype: str) -> list[tuple[str, str]]:
    headers = [("Content-Type", f'text/{subtype}; charset="utf-8"'), ("Content-Transfer-Encoding", "base64")]
    if subtype == "html":  # add_alternative marks the part it adds, not the one it moves
        headers.append(("MIME-Version", "1.0"))
    return headers


def digest_bytes(rendered: Rendered) -> bytes:
    """The bytes message_bytes(as_message(rendered)) gives (tested), written directly: the email package's
    generator reads every header back and writes the bodies line by line, most of a digest's cost."""
    if not all(value.isascii() for _, value in rendered.headers):
        return message_bytes(as_message(rendered))  # a mailbox such as 王五@…: UTF-8 headers
    out = [_head(rendered.headers), "\n"]
    for subtype, text in (("plain", rendered.text), ("html", rendered.html)):
        body = base64.encodebytes(text.encode("utf-8")).decode("ascii")
        out += [f"--{rendered.boundary}\n", _head(_part_headers(subtype)), "\n", body, "\n"]
    out.append(f"--{rendered.boundary}--\n")
    return "".join(out).encode("ascii")


def _head(headers: Iterable[tuple[str, str]]) -> str:
    return "".join(f"{name}: {value}\n" for name, value in headers)


def message_bytes(message: EmailMessage) -> bytes:
    """The e-mail as stored and sent; raw UTF-8 headers only when a mailbox is not ASCII (sent with SMTPUTF8;
    a server without it dead-letters that one e-mail)."""
    try:
        return message.as_bytes()
    except UnicodeEncodeError:
        return message.as_bytes(policy=UTF8)


def one_line(text: str) -> str:
    """Text safe for a header: control characters (CR, LF, …) become single spaces."""
    return _CONTROL.sub(" ", text).strip()


# The standard library's header folding re-encodes Chinese text character by character (about 10 ms an
# e-mail); these headers are encoded once here (RFC 2047, lines within 78) and stored as they are.
@functools.lru_cache(maxsize=1 << 14)  # a day's digests share a few subjects
def encoded_text(name: str, text: str) -> str:
    return Header(one_line(text), "utf-8", header_name=name).encode()


def address(name: str, display: str, address: str) -> tuple[str, str]:
    return name, _mailbox_header(name, one_line(display), one_line(address))


@functools.lru_cache(maxsize=1 << 16)  # the sender's and every reader's, the same each run
def _mailbox_header(name: str, display: str, mailbox: str) -> str:
    """A mailbox header's text; a non-ASCII mailbox (王五@…) is written as UTF-8, to be sent with SMTPUTF8."""
    if not mailbox.isascii():
        return f'"{quote(display)}" <{mailbox}>' if display else mailbox
    if display.isascii():
        return formataddr((display, mailbox))
    header = Header(display, "utf-8", header_name=name)
    header.append(f"<{mailbox}>", "us-ascii")
    return header.encode()
