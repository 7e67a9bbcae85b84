"""File names: as the user's system wrote them (kept for the record), and made safe for a folder or a zip.

A stored file lives under its SHA-256, so no name ever reaches a path there; a name that does (the export's
copies) passes through safe_name first: no separators, no `..`, no NUL or control characters, none of the
names Windows reserves (CON, NUL, COM1 …), no trailing dot or space, and at most 120 characters.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_NAME = 120  # characters: well inside Windows' 255 and a zip reader's patience, with room for a folder path
RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
UNSAFE = re.compile(r'[<>:"/\\|?*]')


def display_name(raw: str) -> str:
    """The name the user's system sent, without a folder (old browsers send C:\\…\\name) or control characters."""
    name = re.split(r"[/\\]", raw)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    return _shorten(name.strip(), 200) or "未命名文件"


def safe_name(name: str, fallback: str = "文件") -> str:
    """A name any filesystem and zip takes as one plain file name."""
    visible = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    cleaned = UNSAFE.sub("_", visible).strip(" .")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)
    if not cleaned or RESERVED.match(cleaned):
        cleaned = f"_{cleaned}" if cleaned else fallback
    return _shorten(cleaned, MAX_NAME)


def numbered(name: str, n: int) -> str:
    """The n-th name of a collision: 报告.pdf → 报告(2).pdf."""
    stem, dot, ext = name.rpartition(".")
    return f"{stem}({n}).{ext}" if dot and stem else f"{name}({n})"


def _shorten(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and stem and len(ext) <= 10:
        return stem[: limit - len(ext) - 1] + "." + ext
    return name[:limit]


def content_disposition(name: str) -> str:
    """`attachment` with an RFC 5987 `filename*` (Chinese names intact) and an ASCII fallback for old clients."""
    ascii_name = safe_name(name).encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(safe_name(name), safe='')}"
