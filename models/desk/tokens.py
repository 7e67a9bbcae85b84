"""Signed desk links (SPEC §7): who may do what to which assignment, until when. Pure: the secret comes in.

A token is `<payload>.<signature>`, both URL-safe base64 without padding; the payload is compact JSON of
(campaign, assignment id, recipient e-mail, action, last valid day) and the signature HMAC-SHA256 over it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

Action = Literal["ack", "claim", "extend", "mine", "decide-claim", "decide-extension", "file"]  # file: a download
ACTIONS: tuple[Action, ...] = get_args(Action)
_FORM = b"desk-form:"  # a different message space, so a form MAC is never a valid token signature
SIGNATURE_LENGTH = 43  # HMAC-SHA256, URL-safe base64 without padding


@dataclass(frozen=True)
class Grant:
    """What a valid token allows: `action` on `assignment_id` (0 for `mine`; the request's id for `decide-…`) for
    `recipient`, to `expires`."""

    campaign: str
    assignment_id: int
    recipient: str
    action: Action
    expires: date


def address(email: str) -> str:
    """An e-mail address as the desk signs and compares it (models/desk/readers.py): case does not matter."""
    return email.lower()


def sign(secret: bytes, grant: Grant) -> str:
    payload = json.dumps(
        [grant.campaign, grant.assignment_id, address(grant.recipient), grant.action, grant.expires.isoformat()],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}"


def verify(secret: bytes, token: str, *, today: date, action: Action | None = None) -> Grant | None:
    """The grant of a well-signed, unexpired token (of `action` when given), else None; constant-time compare."""
    try:
        head, _, tail = token.partition(".")
        payload, signature = _unb64(head), _unb64(tail)
    except ValueError:
        return None
    if not hmac.compare_digest(signature, _mac(secret, payload)):
        return None
    try:
        campaign, assignment_id, recipient, kind, expires = json.loads(payload)
        grant = Grant(str(campaign), int(assignment_id), str(recipient), kind, date.fromisoformat(expires))
    except (ValueError, TypeError):
        return None
    if grant.action not in ACTIONS or today > grant.expires or (action is not None and grant.action != action):
        return None
    return grant


def looks_cut(token: str) -> bool:
    """A token shortened on its way (a mail client wrapping or cutting the link), not a forged one: its signature
    part is missing or shorter than a signature's 43 characters."""
    _, dot, tail = token.partition(".")
    return not dot or len(tail) < SIGNATURE_LENGTH


def form_mac(secret: bytes, token: str) -> str:
    """The per-form proof a POST carries beside its token (a CSRF guard needing no cookie)."""
    return _b64(_mac(secret, _FORM + token.encode()))


def form_mac_ok(secret: bytes, token: str, mac: str) -> bool:
    return hmac.compare_digest(form_mac(secret, token).encode(), mac.encode())


def _mac(secret: bytes, message: bytes) -> bytes:
    return hmac.new(secret, message, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or len(text) > 4096:
        raise ValueError("empty or oversized token part")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (ValueError, TypeError) as error:
        raise ValueError(str(error)) from None
    if _b64(raw) != text:  # one spelling per token: no padding bits or stray characters slip through
        raise ValueError("not canonical")
    return raw
