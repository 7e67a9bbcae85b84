"""The plan's field types: one line of plain text, e-mail addresses, days in a sane range, references."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, ValidationInfo

from models.vocabulary import Owner

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)  # a campaign's dates: anything outside is a typo
HIDDEN = frozenset("\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
STORED = {"stored": True}  # validation context of a plan read back from the database: checked when it was loaded


def _is_stored(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and info.context.get("stored") is True


def _text(text: str, info: ValidationInfo) -> str:
    return text if _is_stored(info) else _single_line(text)


def _single_line(text: str) -> str:
    if "\r" in text or "\n" in text:
        raise ValueError("must be one line (contains CR or LF)")
    for char in text:
        if char in HIDDEN or unicodedata.category(char) == "Cc":
            raise ValueError(f"must be one line of plain text (contains U+{ord(char):04X})")
    if not text.strip():
        raise ValueError("must not be empty")
    return text.strip()


def _email(text: str, info: ValidationInfo) -> str:
    if _is_stored(info):
        return text  # stored normalised when the plan was loaded; re-checking every address costs seconds
    _single_line(text)
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"not a valid e-mail address ({error})") from None


def timezone_name(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {text!r}") from None
    return text


def clock_time(value: object) -> str:
    if isinstance(value, int):  # YAML 1.1 reads an unquoted 9:00 as 540 (base 60)
        raise ValueError('write the time quoted, e.g. "09:00"')
    if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError("expected a local time HH:MM")
    return value


def due_day(value: object) -> date | str | None:
    """A full date, or a month-day (MM-DD) for a yearly item: one clear message either way (None: a submission
    item, which has no due day)."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if re.fullmatch(r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", text):
        return text
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD), nor a month-day (MM-DD) for a yearly item") from None


def _sane_day(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day} is outside the years {FIRST_DAY.year}–{LAST_DAY.year}")
    return day


def sane_due(due: date | str | None) -> date | str | None:
    return _sane_day(due) if isinstance(due, date) else due


def owner_text(text: str) -> str:
    Owner.parse(text)  # ValueError says what an owner may be
    return text


Name = Annotated[str, AfterValidator(_text)]
Email = Annotated[str, AfterValidator(_email)]
Ref = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Share = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
Day = Annotated[date, AfterValidator(_sane_day)]
