"""Progress files as people save them (Chinese Excel, merged titles, serial dates, full-width digits) and bad rows."""

from __future__ import annotations

import io
import tempfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from typer.testing import CliRunner

from deployments.cli import app
from models.plan.schema import Plan
from models.records.progress import HEADER, ProgressError, ProgressRow, parse_rows
from tasks.records.sheets import read_table
from tests.conftest import SMALL_PLAN

runner = CliRunner()
CSV_HEADER = "date,action,assignee,target,value\n"


@pytest.fixture(scope="module")
def plan() -> Plan:
    from deployments.plan_file import load_plan

    return load_plan(SMALL_PLAN)


def rows_of(path: Path, plan: Plan, today: date | None = None) -> list[ProgressRow]:
    return parse_rows(read_table(path, HEADER).rows, plan, today=today)


def problems(path: Path, plan: Plan, today: date | None = None) -> list[str]:
    with pytest.raises(ProgressError) as caught:
        rows_of(path, plan, today)
    return caught.value.problems


def workbook_bytes(rows: list[list[object]], merge: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# Reading: encodings and files that are not what their name says.


def test_a_gb18030_csv_is_read_and_says_so(tmp_path: Path, plan: Plan) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(("青阳区进展登记表,,,,\n" + CSV_HEADER + "2022-01-05,assess,community:c1,1,met\n").encode("gbk"))
    table = read_table(path, HEADER)
    assert table.read_as == "GB18030" and [n for n, _ in table.rows] == [3]


@pytest.mark.parametrize(
    ("data", "read_as"),
    [(b"\xef\xbb\xbf" + CSV_HEADER.encode(), "UTF-8 with BOM"), (CSV_HEADER.encode(), "UTF-8")],
)
def test_utf8_with_or_without_a_bom(tmp_path: Path, data: bytes, read_as: str) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(data + b"2022-01-05,assess,community:c1,1,met\n")
    assert read_table(path, HEADER).read_as == read_as


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("rows.xlsx", CSV_HEADER.encode(), "not a workbook (not an .xlsx file; a CSV must be named .csv)"),
        ("rows.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "not a workbook (an old .xls"),
        ("rows.xlsx", b"PK\x03\x04" + bytes(range(256)), "not a workbook (BadZipFile"),
        ("rows.csv", workbook_bytes([list(HEADER)]), "not a CSV (it is a workbook or zip file: name it .xlsx)"),
        ("rows.csv", CSV_HEADER.encode() + b"2022-01-05,\x00\x01,x\n", "not a CSV (it contains NUL bytes"),
        ("rows.csv", b"\x81\x30\xff\xfe" * 10, "not a CSV (neither UTF-8 nor GB18030 text)"),
        ("rows.csv", b"when,what\n", "row 1: the header must be date,action,assignee,target,value"),
    ],
)
def test_a_file_that_is_not_what_it_says_is_one_line(tmp_path: Path, name: str, data: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ProgressError) as caught:
        read_table(path, HEADER)
    assert caught.value.problems == [f"{path}: {caught.value.problems[0].split(': ', 1)[1]}"]
    assert expected in caught.value.problems[0]


# Spreadsheet quirks.


def test_a_workbook_with_a_merged_title_serial_dates_full_width_digits_and_blank_rows(
    tmp_path: Path, plan: Plan
) -> None:
    path = tmp_path / "rows.xlsx"
    path.write_bytes(
        workbook_bytes(
            [
                ["青阳区进展登记表", None, None, None, None],  # merged A1:E1 (read_only gives None for B1:E1)
                ["Date", "Action", "Assignee", "Target", "Value"],
                [44566, "assess", "community:c1", 2, 0.35],  # a serial date in a cell typed as a number
                [datetime(2022, 1, 6), "ａｓｓｅｓｓ", "community:c2", "２", "０．３１"],
                ["2022年1月7日", "select", "community:c3　", "pilot", None],
                [None, None, None, None, None],
                ["", "  ", "　", None, None],
            ],
            merge="A1:E1",
        )
    )
    rows = rows_of(path, plan)
    assert [(r.row, r.day, r.action, r.assignee, r.target, r.value) for r in rows] == [
        (3, date(2022, 1, 5), "assess", "community:c1", "2", "0.35"),
        (4, date(2022, 1, 6), "assess", "community:c2", "2", "0.31"),
        (5, date(2022, 1, 7), "select", "community:c3", "pilot", ""),
    ]


@pytest.mark.parametrize(
    "written",
    [
        "2022-01-05",
        "2022/1/5",
        "2022-1-5",
        "2022.1.5",
        "2022年1月5日",
        "44566",
        "2022-01-05 00:00:00",
        "２０２２－０１－０５",
    ],
)
def test_dates_in_the_forms_spreadsheets_write(tmp_path: Path, plan: Plan, written: str) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(CSV_HEADER + f"{written},assess,community:c1,1,met\n", encoding="utf-8")
    assert [r.day for r in rows_of(path, plan)] == [date(2022, 1, 5)]


def test_a_share_written_as_a_percentage(tmp_path: Path, plan: Plan) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(CSV_HEADER + "2022-01-05,assess,community:c1,2,35%\n", encoding="utf-8")
    assert [r.value for r in rows_of(path, plan)] == ["0.35"]


# Bad rows: each names its row and cell.

BAD_ROWS: list[tuple[str, str, str]] = [
    ("negative share", "2022-01-05,assess,community:c1,2,-0.1", "row 2 (cell E2): value: standard 2 is a share"),
    ("share above 1", "2022-01-05,assess,community:c1,2,1.5", "row 2 (cell E2): value: standard 2 is a share"),
    ("1e308", "2022-01-05,assess,community:c1,2,1e308", "row 2 (cell E2): value: standard 2 is a share"),
    ("overflow", "2022-01-05,assess,community:c1,2,1e999", "row 2 (cell E2): value: standard 2 is measured"),
    ("nan", "2022-01-05,assess,community:c1,2,nan", "row 2 (cell E2): value: standard 2 is measured"),
    ("year 1", "0001-01-01,assess,community:c1,1,met", "row 2 (cell A2): date: 0001-01-01 is before the campaign"),
    ("before the campaign", "2022-01-03,assess,community:c1,1,met", "row 2 (cell A2): date: 2022-01-03 is before"),
    ("year 9999", "9999-12-31,assess,community:c1,1,met", "row 2 (cell A2): date: 9999-12-31 is after the campaign"),
    ("after today", "2022-01-21,assess,community:c1,1,met", "row 2 (cell A2): date: 2022-01-21 is after today"),
    ("not a date", "5 Jan,assess,community:c1,1,met", "row 2 (cell A2): date: '5 Jan' is not a date"),
    ("unknown action", "2022-01-05,finish,community:c1,1,met", "row 2 (cell B2): action: 'finish' is not one of"),
]


@pytest.mark.parametrize(("case", "row", "expected"), BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_a_bad_row_names_its_row_and_cell(tmp_path: Path, plan: Plan, case: str, row: str, expected: str) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(CSV_HEADER + row + "\n", encoding="utf-8")
    found = problems(path, plan, today=date(2022, 1, 20))
    assert len(found) == 1 and found[0].startswith(expected), (case, found)


def test_exact_duplicate_rows_are_named(tmp_path: Path, plan: Plan) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        CSV_HEADER + "2022-01-05,complete,community:c1,pilot.plan,\n"
        "2022-01-06,complete,community:c1,pilot.plan,\n"
        "2022/1/5,complete,community:c1,pilot.plan,\n",
        encoding="utf-8",
    )
    assert problems(path, plan) == ["row 4: duplicate of row 2"]


# Fuzzing: whatever the bytes, only ProgressError comes out.

VALID_XLSX = workbook_bytes([list(HEADER), ["2022-01-05", "assess", "community:c1", "1", "met"]])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([".csv", ".xlsx"]),
    st.one_of(
        st.binary(max_size=600),
        st.binary(max_size=300).map(lambda tail: b"PK\x03\x04" + tail),
        st.tuples(st.integers(0, len(VALID_XLSX) - 1), st.binary(min_size=1, max_size=8)).map(
            lambda cut: VALID_XLSX[: cut[0]] + cut[1] + VALID_XLSX[cut[0] + len(cut[1]) :]
        ),
        st.text(max_size=300).map(lambda text: (CSV_HEADER + text).encode("utf-8")),
    ),
)
def test_random_files_give_only_progress_errors(plan: Plan, suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"rows{suffix}"
        path.write_bytes(data)
        try:
            rows_of(path, plan, today=date(2022, 3, 1))
        except ProgressError as error:
            assert error.problems and all(line.strip() for line in error.problems)


# End to end through `greencomm record`.


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> Path:
    monkeypatch.setenv("GREENCOMM_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("GREENCOMM_PLAN", str(SMALL_PLAN))
    monkeypatch.setenv("GREENCOMM_VAR_DIR", str(tmp_path / "var"))
    return tmp_path


def record(path: Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["record", str(path)])
    return result.exit_code, result.stdout, result.stderr


def matrix() -> dict[str, dict[str, str]]:
    import json

    result = runner.invoke(app, ["status", "--json", "--as-of", "2022-01-20"])
    data: dict[str, dict[str, str]] = json.loads(result.stdout)["standards"]
    return data


def test_a_gb18030_csv_is_recorded_end_to_end(env: Path) -> None:
    path = env / "进展.csv"
    text = (
        "青阳区进展登记表（试点）,,,,\n"
        + CSV_HEADER
        + "2022年1月5日,assess,community:c1,1,met\n2022/1/6,assess,community:c1,2,０．４\n"
    )
    path.write_bytes(text.encode("gb18030"))
    code, out, err = record(path)
    assert (
        code == 0
        and "Traceback" not in err
        and out.strip().endswith("2 rows recorded for small-test (read as GB18030)")
    )
    assert matrix()["c1"] == {"1": "met", "2": "met"}


def test_an_openpyxl_workbook_with_every_quirk_is_recorded_end_to_end(env: Path) -> None:
    path = env / "rows.xlsx"
    path.write_bytes(
        workbook_bytes(
            [
                ["进展登记", None, None, None, None],
                list(HEADER),
                [44566, "assess", "community:c2", 1, "met"],
                [44567.0, "ａｓｓｅｓｓ", "community:c2", "２", 0.5],
                [None] * 5,
                [None] * 5,
            ],
            merge="A1:E1",
        )
    )
    code, out, err = record(path)
    assert code == 0 and "Traceback" not in err and "2 rows recorded" in out and "(read as XLSX)" in out
    assert matrix()["c2"] == {"1": "met", "2": "met"}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_file_recorded_twice_is_refused_naming_its_complete_rows(
    env: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, backend: str
) -> None:
    if backend == "postgres":
        monkeypatch.setenv("GREENCOMM_DATABASE_URL", request.getfixturevalue("postgres_url"))
    path = env / "rows.csv"
    path.write_text(
        CSV_HEADER + "2022-01-05,select,community:c1,pilot,\n"
        "2022-01-06,complete,community:c1,pilot.plan,\n"
        "2022-03-10,complete,community:c2,promotion.report,\n",
        encoding="utf-8",
    )
    assert record(path)[0] == 0
    code, _, err = record(path)
    assert code == 2 and "Traceback" not in err
    assert err.splitlines() == [
        f"{path}: row 3: duplicate of a complete row already recorded (2022-01-06, community:c1, pilot.plan)",
        f"{path}: row 4: duplicate of a complete row already recorded (2022-03-10, community:c2, promotion.report)",
    ]
    later = env / "later.csv"
    later.write_text(CSV_HEADER + "2022-03-11,complete,community:c2,promotion.report,\n", encoding="utf-8")
    assert record(later)[0] == 0  # a different day is a different report, not a repeat
