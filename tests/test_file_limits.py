"""Files are bounded before they are read whole (SPEC §5): bombs are refused in one line, in seconds, with little
memory; a refused file shows at most 50 problem lines."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import NamedTuple

import pytest
from openpyxl import Workbook

from models.plan import Plan
from models.records import MAX_ROWS, ProgressError, parse_rows, unpacked_problem
from models.records.limits import MAX_PROBLEMS, MAX_UNPACKED, TOO_MANY_ROWS
from tests.conftest import GREENCOMM, SMALL_PLAN

CSV_HEADER = "date,action,assignee,target,value\n"
ROW = "2022-01-05,complete,community:c1,pilot.plan,\n"
# Runs `greencomm record FILE` as a child and prints its exit status, peak resident set (KiB on Linux) and CPU seconds
# on the last line. CPU time, not wall time: the suite's other worker may hold the second core for minutes.
PEAK = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stdout.write(done.stderr)\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(done.returncode, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)\n"
)


class Cost(NamedTuple):
    peak: int  # MiB
    cpu: float  # seconds


@pytest.fixture
def env(tmp_path: Path, sqlite_url: str) -> dict[str, str]:
    return os.environ | {
        "GREENCOMM_DATABASE_URL": sqlite_url,
        "GREENCOMM_PLAN": str(SMALL_PLAN),
        "GREENCOMM_VAR_DIR": str(tmp_path / "var"),
    }


def record(path: Path, env: dict[str, str]) -> tuple[int, list[str], Cost]:
    """Exit status, stderr lines and cost of `greencomm record path`."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK, str(GREENCOMM), "record", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    *lines, last = done.stdout.splitlines()
    code, peak, cpu = last.split()
    return int(code), lines, Cost(int(peak) // 1024, float(cpu))


@pytest.fixture
def baseline(tmp_path: Path, env: dict[str, str]) -> Cost:
    """What `record` refusing a one-row file costs: what any refusal costs."""
    path = tmp_path / "one.csv"
    path.write_text(CSV_HEADER + "2022-01-05,finish,community:c1,pilot.plan,\n", encoding="utf-8")
    code, lines, cost = record(path, env)
    assert code == 2 and len(lines) == 1
    return cost


def assert_cheap(cost: Cost, baseline: Cost) -> None:
    """Seconds of work more than any refusal, and no more memory than the largest file accepted (100,000 rows) costs;
    reading the bombs below whole took minutes and a gigabyte."""
    assert cost.cpu < baseline.cpu + 10 and cost.peak < baseline.peak + 64, (cost, baseline)


def assert_refused_cheaply(path: Path, env: dict[str, str], baseline: Cost, expected: str) -> None:
    code, lines, cost = record(path, env)
    assert code == 2 and lines == [f"{path}: {expected}"]
    assert_cheap(cost, baseline)


def test_a_csv_over_the_row_limit_is_refused_in_one_line(tmp_path: Path, env: dict[str, str], baseline: Cost) -> None:
    path = tmp_path / "rows.csv"
    with path.open("w", encoding="utf-8") as file:
        file.write(CSV_HEADER)
        file.writelines(ROW for _ in range(200_001))
    assert_refused_cheaply(path, env, baseline, TOO_MANY_ROWS)


def test_a_csv_of_one_100_mb_line_is_refused_in_one_line(tmp_path: Path, env: dict[str, str], baseline: Cost) -> None:
    path = tmp_path / "line.csv"
    with path.open("w", encoding="utf-8") as file:
        for _ in range(100):
            file.write("x" * 2**20)
    assert_refused_cheaply(path, env, baseline, "not a CSV (line 1 is longer than 100,000 characters)")


def test_a_workbook_bomb_is_refused_from_its_zip_directory(tmp_path: Path, env: dict[str, str], baseline: Cost) -> None:
    """One header and a million repeated rows, as the 890 KB workbook that once took 126 s and 1 GB."""
    path = tmp_path / "bomb.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(CSV_HEADER.strip().split(","))
    book.save(path)
    with zipfile.ZipFile(path) as plain:
        parts = {name: plain.read(name) for name in plain.namelist()}
    row = "".join(f'<c t="inlineStr"><is><t>{cell}</t></is></c>' for cell in ROW.strip().split(",")[:4])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for name, data in parts.items():
            if name != "xl/worksheets/sheet1.xml":
                bomb.writestr(name, data)
        with bomb.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(parts["xl/worksheets/sheet1.xml"].split(b"</sheetData>")[0].split(b"<sheetData>")[0])
            part.write(b"<sheetData>")
            for _ in range(1000):
                part.write(f"<row>{row}</row>".encode() * 1000)
            part.write(b"</sheetData></worksheet>")
    code, lines, cost = record(path, env)
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"{path}: refused: its parts unpack to ")
    assert_cheap(cost, baseline)


@pytest.mark.parametrize(
    ("size", "unpacked", "refused"),
    [
        (10_000, 1_000_000, False),  # exactly 100 times
        (10_000, 1_000_001, True),
        (3_000_000, MAX_UNPACKED, False),
        (3_000_000, MAX_UNPACKED + 1, True),  # only 70 times its size, but past 200 MB
        (0, 0, False),
    ],
)
def test_unpacked_size_and_ratio_limits(size: int, unpacked: int, refused: bool) -> None:
    assert (unpacked_problem(size, unpacked) is not None) == refused


def test_a_refused_file_shows_fifty_problems_then_how_many_more(tmp_path: Path, env: dict[str, str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(CSV_HEADER + "2022-01-05,finish,community:c1,pilot.plan,\n" * 60, encoding="utf-8")
    code, lines, _ = record(path, env)
    assert code == 2 and len(lines) == MAX_PROBLEMS + 1
    assert lines[0] == f"{path}: row 2 (cell B2): action: 'finish' is not one of complete, select, assess, claim, " + (
        "confirm, reject, extend"
    )
    assert lines[-1] == "…and 10 more"


def test_the_form_refuses_more_rows_than_a_file_may_hold(plan: Plan) -> None:
    """The UI form's entries arrive as a list: parse_rows refuses it whole before checking a row."""
    row = dict(zip(("date", "action", "assignee", "target", "value"), ROW.strip().split(","), strict=False))
    with pytest.raises(ProgressError) as caught:
        parse_rows([(n, row) for n in range(MAX_ROWS + 1)], plan)
    assert caught.value.problems == [TOO_MANY_ROWS]


@pytest.fixture(scope="module")
def plan() -> Plan:
    from deployments.plan_file import load_plan

    return load_plan(SMALL_PLAN)
