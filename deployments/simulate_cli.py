"""The `simulate` command: options in, report out; exit 1 if mail stayed undelivered."""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import replace
from datetime import date
from pathlib import Path

import typer

from deployments.console import RUN_FAILED, checked_plan, fail, fail_file, progress
from models.plan import Plan
from models.records import ProgressError, ProgressRow, parse_rows
from models.settings import Settings
from tasks.mail import MailSink, SmtpConfig
from tasks.records import read_rows
from tasks.simulate import DeliveryPolicy, run_simulation


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
        config = _delivery(stack, sink, smtp, settings)
        policy = DeliveryPolicy(settings.smtp_concurrency, settings.smtp_budget, settings.smtp_give_up_after)
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
                    policy=policy,
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
        fail([f"{len(result.undelivered)} e-mail(s) undelivered at the end:", *result.undelivered[:20]], RUN_FAILED)


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


def _delivery(stack: ExitStack, sink: Path | None, smtp: str | None, settings: Settings) -> SmtpConfig | None:
    """--sink: a local sink; --smtp HOST:PORT: that server with every other GREENCOMM_SMTP_* setting."""
    if sink:
        mail = stack.enter_context(MailSink(sink))
        return SmtpConfig("127.0.0.1", mail.port, "none", None, None, settings.smtp_timeout)
    if smtp:
        host, _, port = smtp.rpartition(":")
        if not host or not port.isdigit():
            fail([f"--smtp: {smtp!r} is not HOST:PORT"])
        configured = SmtpConfig.from_settings(settings.model_copy(update={"smtp_host": host.strip("[]")}))
        assert configured is not None  # a host is set
        return replace(configured, port=int(port))
    return None
