"""What the command line shows: one line per problem with its exit status, and progress for long work."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from deployments.plan_file import load_plan
from models.plan import Plan
from models.plan_rules import PlanError

BAD_INPUT, RUN_FAILED = 2, 1


def fail(lines: list[str], status: int = BAD_INPUT) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(status)


def fail_file(path: Path, problems: list[str]) -> NoReturn:
    """Bad rows of a file: every line names the file (some already do) and its row."""
    fail([line if line.startswith(str(path)) else f"{path}: {line}" for line in problems])


def checked_plan(path: Path) -> Plan:
    try:
        return load_plan(path)
    except PlanError as error:
        fail(error.problems)


@contextmanager
def progress(label: str, total: int, *, every: int = 30) -> Iterator[Callable[[str], None]]:
    """Yields advance(text); on a non-terminal prints one plain line every `every` steps."""
    if sys.stderr.isatty():
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, transient=True) as bar:
            task = bar.add_task(label, total=total)
            yield lambda text: bar.update(task, advance=1, description=f"{label} {text}")
        return
    done = 0

    def advance(text: str) -> None:
        nonlocal done
        done += 1
        if done % every == 0 or done == total:
            print(f"{label}: {done}/{total} {text}", file=sys.stderr, flush=True)

    yield advance
