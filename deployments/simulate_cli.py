"""The `simulate` command: options in, report out; exit 1 if mail stayed undelivered."""

from __future__ import annotations

import json
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import typer

from deployments.cli import RUN_FAILED, checked_plan, fail, fail_file
from deployments.console import progress
from deployments.simulate import run_simulation
from models.plan import Plan
from models.progress import ProgressError, ProgressRow, parse_rows
from models.settings import Settings
from tasks.mailsink import MailSink
from tasks.progress import read_rows
from tasks.smtp import SmtpConfig


def simulate_command(
    file: Path,
    first: str,
    last: str,
    *,
    events: Path | None,
    report: Path | None,
    sink: Path | None,
    smtp: str | None,
) -> None:
    plan = checked_plan(file)
    start, end = _day(first, "--from"), _day(last, "--to")
    if end < start:
        fail([f"--to: {end} is before --from {start}"])
    if sink and smtp:
        fail(["--sink and --smtp: choose one"])
    rows = _events(events, plan) if events else []
    settings = Settings()
    with ExitStack() as stack:
        config = _delivery(stack, sink, smtp)
        with progress("simulate", (end - start).days + 1) as advance:
            try:
                result = run_simulation(
                    plan,
                    start,
                    end,
                    rows,
                    smtp=config,
                    mail_from=settings.mail_from,
                    on_day=lambda day: advance(day.isoformat()),
                )
            except ProgressError as error:  # a claim or extension the assignments refuse on its day
                fail([f"{events}: {line}" for line in error.problems])
    text = json.dumps(result.report, ensure_ascii=False, indent=1)
    if report:
        report.write_text(text + "\n", encoding="utf-8")
    else:
        typer.echo(text)
    typer.echo(f"{len(result.report['notices'])} notices, {len(result.report['emails'])} e-mails", err=True)
    if result.undelivered:
        fail(["undelivered after retries:", *result.undelivered[:20]], RUN_FAILED)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail([f"{option}: {text!r} is not a date (YYYY-MM-DD)"])


def _events(path: Path, plan: Plan) -> list[ProgressRow]:
    try:
        return parse_rows(read_rows(path), plan)
    except ProgressError as error:
        fail_file(path, error.problems)


def _delivery(stack: ExitStack, sink: Path | None, smtp: str | None) -> SmtpConfig | None:
    if sink:
        mail = stack.enter_context(MailSink(sink))
        return SmtpConfig(host="127.0.0.1", port=mail.port, security="none", username=None, password=None)
    if smtp:
        host, _, port = smtp.rpartition(":")
        if not host or not port.isdigit():
            fail([f"--smtp: {smtp!r} is not HOST:PORT"])
        return SmtpConfig(host=host, port=int(port), security="none", username=None, password=None)
    return None
