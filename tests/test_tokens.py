"""Desk tokens: a good one passes; tampered, expired, foreign or unsigned ones never do."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr

from models.desk.tokens import Action, Grant, form_mac, form_mac_ok, sign, verify
from models.settings import Settings
from tasks.signing import desk_secret

SECRET = b"s" * 32
END = date(2022, 12, 31)
GRANT = Grant("qingyang-green-2022", 42, "c01.contact@communities.example", "claim", END)
TOKEN = sign(SECRET, GRANT)


def _flip(text: str, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


def test_a_good_token_gives_its_grant_until_the_campaign_ends() -> None:
    assert verify(SECRET, TOKEN, today=date(2022, 1, 5)) == GRANT
    assert verify(SECRET, TOKEN, today=END, action="claim") == GRANT


def test_a_recipient_is_bound_whatever_its_case() -> None:
    token = sign(SECRET, replace(GRANT, recipient="C01.Contact@Communities.example"))
    grant = verify(SECRET, token, today=END)
    assert grant is not None and grant.recipient == GRANT.recipient


@pytest.mark.parametrize(
    ("why", "token", "today", "action"),
    [
        ("expired the day after the campaign's end", TOKEN, date(2023, 1, 1), None),
        ("signed with another secret", sign(b"t" * 32, GRANT), END, None),
        ("payload changed", _flip(TOKEN, 3), END, None),
        ("signature changed", _flip(TOKEN, len(TOKEN) - 5), END, None),
        ("signature cut", TOKEN[:-2], END, None),
        ("stray character", TOKEN + "=", END, None),
        ("no signature", TOKEN.partition(".")[0], END, None),
        ("empty", "", END, None),
        ("garbage", "not-a-token", END, None),
        ("non-ASCII", "签收.签收", END, None),
        ("foreign action", TOKEN, END, "extend"),
        ("a form MAC is not a signature", TOKEN.partition(".")[0] + "." + form_mac(SECRET, TOKEN), END, None),
    ],
)
def test_refused(why: str, token: str, today: date, action: Action | None) -> None:
    assert verify(SECRET, token, today=today, action=action) is None, why


@pytest.mark.parametrize(
    "other",
    [
        replace(GRANT, recipient="c02.contact@communities.example"),
        replace(GRANT, assignment_id=43),
        replace(GRANT, action="ack"),
        replace(GRANT, campaign="another-campaign"),
        replace(GRANT, expires=date(2023, 12, 31)),
    ],
)
def test_each_bound_field_changes_the_signature(other: Grant) -> None:
    forged = sign(SECRET, other).partition(".")[0] + "." + TOKEN.partition(".")[2]  # the old signature kept
    assert verify(SECRET, forged, today=END) is None


def test_a_form_mac_belongs_to_its_token_and_secret() -> None:
    mac = form_mac(SECRET, TOKEN)
    assert form_mac_ok(SECRET, TOKEN, mac)
    assert not form_mac_ok(SECRET, sign(SECRET, replace(GRANT, action="ack")), mac)
    assert not form_mac_ok(b"t" * 32, TOKEN, mac)
    assert not form_mac_ok(SECRET, TOKEN, "")


def test_the_secret_is_made_once_private_and_kept(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", secret_key=None)
    first = desk_secret(settings)
    assert len(first) >= 32 and desk_secret(settings) == first
    assert stat.S_IMODE((tmp_path / "var" / "desk-secret").stat().st_mode) == 0o600
    assert desk_secret(Settings(var_dir=tmp_path / "var", secret_key=SecretStr("from-env"))) == b"from-env"
    assert "from-env" not in repr(Settings(secret_key=SecretStr("from-env")))
