"""Reading a table a user saved (CSV or XLSX) as rows of text, whatever Excel did to it."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from models.cells import structural
from models.progress import ProgressError

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
ZIP_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
HEADER_SEARCH = 5  # a title row (often merged across the columns) may sit above the header


@dataclass(frozen=True)
class Table:
    """Data rows as (row number a spreadsheet shows, cells by header) and how the file was read."""

    rows: list[tuple[int, dict[str, str]]]
    read_as: str  # "UTF-8", "UTF-8 with BOM", "GB18030" or "XLSX"


def read_table(path: Path, header: tuple[str, ...]) -> Table:
    """Every non-empty row under the header; ProgressError with one line for a file that cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ProgressError([f"{path}: cannot read ({error.strerror or error})"]) from None
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        cells, read_as = _workbook(path, data), "XLSX"
    else:
        cells, read_as = _csv(path, data)
    return Table(_under_header(path, cells, header), read_as)


def _under_header(path: Path, table: list[list[str]], header: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    width = len(header)
    for at, cells in enumerate(table[:HEADER_SEARCH]):
        if tuple(structural(cell).lower() for cell in cells[:width]) == header:
            return [
                (number, dict(zip(header, cells + [""] * width, strict=False)))
                for number, cells in enumerate(table[at + 1 :], start=at + 2)
                if any(cell.strip() for cell in cells)
            ]
    raise ProgressError([f"{path}: row 1: the header must be {','.join(header)}"])


def _csv(path: Path, data: bytes) -> tuple[list[list[str]], str]:
    if data.startswith(ZIP_MAGIC):
        raise ProgressError([f"{path}: not a CSV (it is a workbook or zip file: name it .xlsx)"])
    if data.startswith(codecs.BOM_UTF8):
        text, read_as = data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "UTF-8 with BOM"
    else:
        try:
            text, read_as = data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            try:  # what Excel on a Chinese Windows writes (GB18030 is a superset of GBK and GB2312)
                text, read_as = data.decode("gb18030"), "GB18030"
            except UnicodeDecodeError:
                raise ProgressError([f"{path}: not a CSV (neither UTF-8 nor GB18030 text)"]) from None
    if "\x00" in text:
        raise ProgressError([f"{path}: not a CSV (it contains NUL bytes: a binary file?)"])
    try:
        return list(csv.reader(io.StringIO(text, newline=""))), read_as
    except csv.Error as error:
        raise ProgressError([f"{path}: not a CSV ({error})"]) from None


def _workbook(path: Path, data: bytes) -> list[list[str]]:
    if data.startswith(OLE_MAGIC):
        raise ProgressError([f"{path}: not a workbook (an old .xls or a protected file: save it as .xlsx)"])
    if not data.startswith(ZIP_MAGIC):
        raise ProgressError([f"{path}: not a workbook (not an .xlsx file; a CSV must be named .csv)"])
    from openpyxl import load_workbook

    try:  # a damaged zip fails in many ways deep inside openpyxl: each is "not a workbook"
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    except Exception as error:
        raise ProgressError([f"{path}: not a workbook ({error.__class__.__name__}: {error})"]) from None


def _cell_text(value: Any) -> str:
    """A cell as text; merged cells other than the first read None, so empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # a date typed as a number (44566) or an id 12 stored as 12.0
    return str(value)
