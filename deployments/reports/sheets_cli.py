"""`greencomm export` and `greencomm workbook`: the campaign and an assignee's items as Excel workbooks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deployments.cli_common import live_plan, parse_day
from deployments.console import fail
from models.settings import Settings
from tasks.db import session_scope


def export(
    file: Annotated[Path, typer.Argument(help="the workbook to write, FILE.xlsx")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default today)")] = None,
    with_files: Annotated[
        Path | None, typer.Option("--with-files", help="also copy every accepted file to DIR/<单位>/<事项>/<文件名>")
    ] = None,
) -> None:
    """The campaign as a workbook for the city: targets, communities × standards, assignments, notices, materials."""
    from tasks.materials import FileChanged, LocalStore
    from tasks.reports.export import export_workbook

    _check_target(file)
    if with_files is not None and not (with_files.is_dir() or with_files.parent.is_dir()):
        fail([f"--with-files: no folder {with_files.parent} to make {with_files.name} in"])
    settings = Settings()
    plan = live_plan(settings)
    day = parse_day(as_of, plan, "--as-of")
    files = (LocalStore(settings.files_dir), with_files) if with_files is not None else None
    with session_scope(settings.database_url) as session:
        try:
            counts = export_workbook(session, plan, day, file, files=files)
        except FileChanged as changed:
            fail([f"--with-files: a stored file changed or is missing, nothing sent up is trusted: {changed}"], 1)
    typer.echo(f"{file}: " + ", ".join(f"{sheet} {rows}" for sheet, rows in counts.items()))


def workbook(
    file: Annotated[Path, typer.Argument(help="the workbook to write, FILE.xlsx")],
    assignee: Annotated[str, typer.Option("--for", help="community:<id> or office:<id>")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default today)")] = None,
) -> None:
    """An office's or a community's own workbook to fill in: open items (and the standards); `record` reads it."""
    from models.engine import labels_of
    from tasks.records import make_workbook

    _check_target(file)
    settings = Settings()
    plan = live_plan(settings)
    if assignee not in labels_of(plan):
        fail([f"--for: {assignee!r} is not community:<id> or office:<id> of {plan.campaign.id}"])
    day = parse_day(as_of, plan, "--as-of")
    with session_scope(settings.database_url) as session:
        counts = make_workbook(session, plan, assignee, day, file)
    typer.echo(f"{file}: " + ", ".join(f"{sheet} {rows}" for sheet, rows in counts.items()))


def _check_target(file: Path) -> None:
    """A workbook to write: FILE.xlsx in a folder that exists."""
    if file.suffix.lower() != ".xlsx":
        fail([f"{file}: this is written as an Excel workbook: name it FILE.xlsx"])
    if not file.parent.is_dir():
        fail([f"{file}: no folder {file.parent}"])
