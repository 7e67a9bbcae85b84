"""Reading a table a user saved (CSV or XLSX) as rows of text, whatever Excel did to it."""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import count
from pathlib import Path
from typing import Any, TextIO

from models.records.cells import structural
from models.records.limits import MAX_LINE, MAX_ROWS, TOO_MANY_ROWS, unpacked_problem
from models.records.progress import ProgressError

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
ZIP_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
HEADER_SEARCH = 5  # a title row (often merged across the columns) may sit above the header


@dataclass(frozen=True)
class Table:
    """Data rows as (row number a spreadsheet shows, cells by header) and how the file was read."""

    rows: list[tuple[int, dict[str, str]]]
    read_as: str  # "UTF-8", "UTF-8 with BOM", "GB18030" or "XLSX"


def read_table(path: Path, header: tuple[str, ...]) -> Table:
    """Every non-empty row under the header; ProgressError with one line for a file that cannot be read.

    Bounded before it is read whole (SPEC §5): a workbook's zip directory is checked first, CSV lines and rows are
    counted as they stream in, so a bomb is refused in one line with little memory.
    """
    try:
        with path.open("rb") as file:
            start = file.read(len(ZIP_MAGIC))
    except OSError as error:
        raise ProgressError([f"{path}: cannot read ({error.strerror or error})"]) from None
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        cells, read_as = _workbook(path, start), "XLSX"
    else:
        cells, read_as = _csv(path, start)
    return Table(_under_header(path, cells, header), read_as)


def check_unpacked(path: Path) -> None:
    """ProgressError in one line for a workbook whose parts unpack past the limits, from its zip directory alone.

    zipfile never unpacks a part past the size the directory declares, so a directory that lies fails later as
    a damaged file instead of filling the memory.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile) as error:
        raise ProgressError([f"{path}: not a workbook ({error.__class__.__name__}: {error})"]) from None
    if problem := unpacked_problem(path.stat().st_size, unpacked):
        raise ProgressError([f"{path}: refused: {problem}"])


def _under_header(path: Path, table: list[list[str]], header: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    width = len(header)
    for at, cells in enumerate(table[:HEADER_SEARCH]):
        if tuple(structural(cell).lower() for cell in cells[:width]) == header:
            rows = [
                (number, dict(zip(header, cells + [""] * width, strict=False)))
                for number, cells in enumerate(table[at + 1 :], start=at + 2)
                if any(cell.strip() for cell in cells)
            ]
            if len(rows) > MAX_ROWS:
                raise ProgressError([f"{path}: {TOO_MANY_ROWS}"])
            return rows
    raise ProgressError([f"{path}: row 1: the header must be {','.join(header)}"])


def _bounded(path: Path, rows: Iterable[list[str]]) -> list[list[str]]:
    """The rows, stopping with one line once there are more than a header's search and MAX_ROWS."""
    table: list[list[str]] = []
    for row in rows:
        if len(table) == MAX_ROWS + HEADER_SEARCH:
            raise ProgressError([f"{path}: {TOO_MANY_ROWS}"])
        table.append(row)
    return table


def _csv(path: Path, start: bytes) -> tuple[list[list[str]], str]:
    if start.startswith(ZIP_MAGIC):
        raise ProgressError([f"{path}: not a CSV (it is a workbook or zip file: name it .xlsx)"])
    if start.startswith(codecs.BOM_UTF8):
        return _csv_rows(path, "utf-8-sig", "replace"), "UTF-8 with BOM"
    try:
        return _csv_rows(path, "utf-8", "strict"), "UTF-8"
    except UnicodeDecodeError:
        try:  # what Excel on a Chinese Windows writes (GB18030 is a superset of GBK and GB2312)
            return _csv_rows(path, "gb18030", "strict"), "GB18030"
        except UnicodeDecodeError:
            raise ProgressError([f"{path}: not a CSV (neither UTF-8 nor GB18030 text)"]) from None


def _csv_rows(path: Path, encoding: str, errors: str) -> list[list[str]]:
    with path.open(encoding=encoding, errors=errors, newline="") as file:
        try:
            return _bounded(path, csv.reader(_lines(path, file)))
        except csv.Error as error:
            raise ProgressError([f"{path}: not a CSV ({error})"]) from None


def _lines(path: Path, file: TextIO) -> Iterator[str]:
    """The file's lines, none read past MAX_LINE characters (a file of one huge line is not a table)."""
    for number in count(1):
        line = file.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line) > MAX_LINE:
            raise ProgressError([f"{path}: not a CSV (line {number} is longer than {MAX_LINE:,} characters)"])
        if "\x00" in line:
            raise ProgressError([f"{path}: not a CSV (it contains NUL bytes: a binary file?)"])
        yield line


def _workbook(path: Path, start: bytes) -> list[list[str]]:
    if start.startswith(OLE_MAGIC):
        raise ProgressError([f"{path}: not a workbook (an old .xls or a protected file: save it as .xlsx)"])
    if not start.startswith(ZIP_MAGIC):
        raise ProgressError([f"{path}: not a workbook (not an .xlsx file; a CSV must be named .csv)"])
    check_unpacked(path)
    from openpyxl import load_workbook

    try:  # a damaged zip fails in many ways deep inside openpyxl: each is "not a workbook"
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            return _bounded(path, ([_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)))
        finally:
            book.close()
    except ProgressError:
        raise
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
