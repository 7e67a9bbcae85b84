"""What the command line shows: one line per problem with its exit status, and progress for long work."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import SettingsError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError, SQLAlchemyError
from typer.core import TyperGroup

from deployments.plan_file import load_plan
from models.plan import Plan, PlanError
from models.records import first_problems

BAD_INPUT, RUN_FAILED = 2, 1


def fail(lines: list[str], status: int = BAD_INPUT) -> NoReturn:
    """The lines on stderr (at most MAX_PROBLEMS, then how many more), and exit with `status`."""
    for line in first_problems(lines):
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


class CommandGroup(TyperGroup):
    """Runs every command; a bad setting or an unusable database becomes one line instead of a traceback.

    Exit 2 for a setting that cannot be right (a port that is not a number, a URL that is not one), exit 1
    for a database that is configured well but cannot be reached now (server down, wrong password).
    """

    def invoke(self, ctx: Any) -> Any:  # typer vendors click: its Context type is private
        try:
            return super().invoke(ctx)
        except PlanError as error:  # a plan the campaign in the database refuses (`plan load`, `up` …)
            fail(error.problems)
        except (ValidationError, SettingsError, SQLAlchemyError) as error:
            lines, status = explain(error)
            for line in lines:
                typer.echo(line, err=True)
            raise typer.Exit(status) from None


def explain(error: Exception) -> tuple[list[str], int]:
    """(one line per problem, exit status) for the errors CommandGroup turns into lines."""
    if isinstance(error, ValidationError):
        if error.title != "Settings":
            raise error
        return [_setting_line(e) for e in error.errors(include_url=False)], 2
    if isinstance(error, SettingsError):
        field = re.search(r'field "(\w+)"', str(error))
        name = f"GREENCOMM_{field.group(1).upper()}" if field else "settings"
        return [f"{name}: cannot be parsed (a list is written as JSON, e.g. [5, 30])"], 2
    url = _database_url()
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    if isinstance(error, ArgumentError):
        return [f"GREENCOMM_DATABASE_URL: {url!r} is not a usable database URL ({reason})"], 2
    if isinstance(error, OperationalError | InterfaceError):
        return [f"database {url}: cannot connect ({reason})"], 1
    return [f"database {url}: {reason}"], 1


def _setting_line(error: ErrorDetails) -> str:
    field = str(error["loc"][0]) if error["loc"] else ""
    shown = "" if "password" in field else f" (got {error['input']!r})"
    return f"GREENCOMM_{field.upper()}: {error['msg']}{shown}"


def _database_url() -> str:
    """The configured URL with any password masked."""
    from models.settings import Settings

    url = Settings().database_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
