"""What a file is, by its content (SPEC §8): magic bytes, and for the zip and OLE2 containers what they hold.

A name says nothing: a PNG renamed .pdf is an image, an .exe renamed .docx is nothing we accept. The one read
here is of a local file the caller already holds (a desk upload's temporary file, a mail's attachment): its
first bytes, a zip's directory, or an OLE2 file's stream names.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from models.plan import MaterialKind

OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")  # doc, xls, wps and et are compound files
ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive's end record
CHUNK = 1 << 20


@dataclass(frozen=True)
class Format:
    """A file format we accept: the kind a plan names, the extension it usually has, and its media type."""

    kind: MaterialKind
    extension: str
    mime: str


FORMATS = {
    f.extension: f
    for f in (
        Format("pdf", "pdf", "application/pdf"),
        Format("ofd", "ofd", "application/ofd"),
        Format("word", "doc", "application/msword"),
        Format("word", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        Format("sheet", "xls", "application/vnd.ms-excel"),
        Format("sheet", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        Format("image", "jpg", "image/jpeg"),
        Format("image", "png", "image/png"),
        Format("archive", "zip", "application/zip"),
    )
}
KIND_TEXT: dict[str, str] = {
    "pdf": "PDF文件",
    "ofd": "OFD版式文件",
    "word": "Word或WPS文字文档",
    "sheet": "Excel或WPS表格",
    "image": "JPG或PNG图片",
    "archive": "ZIP压缩包",
}

ACCEPT: dict[str, str] = {  # what a browser's file chooser offers for each kind
    "pdf": ".pdf",
    "ofd": ".ofd",
    "word": ".doc,.docx,.wps",
    "sheet": ".xls,.xlsx,.et",
    "image": ".jpg,.jpeg,.png",
    "archive": ".zip",
}


def accept_of(kinds: list[MaterialKind]) -> str:
    return ",".join(ACCEPT[kind] for kind in kinds)


def format_of(path: Path) -> Format | None:
    """The format of the file at `path` by its content, or None for anything we do not accept."""
    with path.open("rb") as file:
        head = file.read(8)
    if head.startswith(b"%PDF-"):
        return FORMATS["pdf"]
    if head.startswith(b"\xff\xd8\xff"):
        return FORMATS["jpg"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FORMATS["png"]
    if head.startswith(ZIP):
        return _zip_format(path)
    if head.startswith(OLE2):
        return _ole2_format(path)
    return None


def kind_of(path: Path) -> MaterialKind | None:
    """pdf, ofd, word, sheet, image or archive by the file's content; None for anything else."""
    found = format_of(path)
    return found.kind if found else None


def _zip_format(path: Path) -> Format | None:
    """docx and xlsx are zips holding word/ or xl/; an OFD one holding OFD.xml; any other zip is an archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "OFD.xml" in names:
        return FORMATS["ofd"]
    if any(name.startswith("word/") for name in names):
        return FORMATS["docx"]
    if any(name.startswith("xl/") for name in names):
        return FORMATS["xlsx"]
    return FORMATS["zip"]


def _ole2_format(path: Path) -> Format | None:
    """A compound file's directory names its streams: WordDocument for doc and wps, Workbook (Book before
    Excel 97) for xls and et. The first directory sector holds them in files Word, Excel and WPS write; else
    the directory's UTF-16 names are looked for in chunks, so a large file is never held whole."""
    with path.open("rb") as file:
        header = file.read(512)
        shift, first = int.from_bytes(header[30:32], "little"), int.from_bytes(header[48:52], "little")
        if 9 <= shift <= 12:
            file.seek((first + 1) << shift)
            sector = file.read(1 << shift)
            entries = [sector[at : at + 64] for at in range(0, len(sector), 128)]
            names = {entry.decode("utf-16-le", "replace").split("\0")[0] for entry in entries}
            if found := _ole2_streams(names):
                return found
        file.seek(0)
        return _ole2_scan(file)


def _ole2_streams(names: set[str]) -> Format | None:
    if "WordDocument" in names:
        return FORMATS["doc"]
    if names & {"Workbook", "Book"}:
        return FORMATS["xls"]
    return None


def _ole2_scan(file: BinaryIO) -> Format | None:
    word, book = "WordDocument".encode("utf-16-le"), "Workbook".encode("utf-16-le")
    tail = b""
    while chunk := file.read(CHUNK):
        window = tail + chunk
        if word in window:
            return FORMATS["doc"]
        if book in window:
            return FORMATS["xls"]
        tail = window[-32:]
    return None
