"""Cells as spreadsheets write them: dates in several forms, full-width digits, percentages. Pure."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, timedelta

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's phantom 1900-02-29 is before any campaign)
DAY_FORMS = "2022-01-05, 2022/1/5, 2022年1月5日 or a spreadsheet date"
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"  # 2022-01-05 00:00:00 as some exports write it
_DAY = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?" + _TIME)
_SERIAL = re.compile(r"\d{1,6}(?:\.\d+)?")


def structural(text: str | None) -> str:
    """A cell that is code, not prose (dates, actions, ids, numbers): full-width forms folded, spaces trimmed."""
    return unicodedata.normalize("NFKC", text or "").replace("\ufeff", "").strip()


def read_day(text: str) -> date | None:
    """2022-01-05, 2022/1/5, 2022.1.5, 2022年1月5日 (a time after it is ignored) or an Excel serial like 44566."""
    if _SERIAL.fullmatch(text):
        serial = int(float(text))
        return EXCEL_EPOCH + timedelta(days=serial) if 0 < serial < 2_958_466 else None
    match = _DAY.fullmatch(text)
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def read_number(text: str) -> float | None:
    """A finite number; '35%' is 0.35. None for anything else (nan, inf, words)."""
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1].strip(), 0.01
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        return None
    value = float(text) * scale
    return value if math.isfinite(value) else None
