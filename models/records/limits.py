"""How much of a handed-in file is read (SPEC §5): bounds checked before a file is read whole, pure."""

from __future__ import annotations

MAX_ROWS = 100_000  # rows under the header of a progress or roster file, or entries of the UI form
MAX_LINE = 100_000  # characters in one line of a CSV (a row of five cells is far shorter)
MAX_RATIO = 100  # an .xlsx whose parts unpack to more than this many times its size is a zip bomb
MAX_UNPACKED = 200 * 1024 * 1024  # bytes its parts may unpack to, whatever the ratio
MAX_PROBLEMS = 50  # problem lines shown for a refused file; the rest are counted


TOO_MANY_ROWS = f"more than {MAX_ROWS:,} rows: split it into files of at most {MAX_ROWS:,} rows"


def unpacked_problem(size: int, unpacked: int) -> str | None:
    """Why a workbook of `size` bytes whose parts unpack to `unpacked` bytes is refused, or None."""
    if unpacked > MAX_UNPACKED:
        return f"its parts unpack to {unpacked / 2**20:,.0f} MB, more than {MAX_UNPACKED // 2**20} MB"
    if unpacked > MAX_RATIO * max(size, 1):
        return f"its parts unpack to {unpacked // max(size, 1):,} times its size, more than {MAX_RATIO} times"
    return None


def first_problems(problems: list[str]) -> list[str]:
    """At most MAX_PROBLEMS lines, then how many more there are."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return [*problems[:MAX_PROBLEMS], f"…and {len(problems) - MAX_PROBLEMS:,} more"]
