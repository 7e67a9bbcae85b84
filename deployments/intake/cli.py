"""`greencomm intake` (SPEC §9): read the campaign mailbox once; `intake assign` / `intake ignore` settle what waits
as 待分拣. Bad arguments: one line, exit 2; a mailbox or mail server that fails: one line, exit 1."""

from __future__ import annotations

import asyncio
import ssl
from datetime import UTC, datetime
from typing import Annotated

import typer

from deployments.approvals import start_approval
from deployments.cli_common import cli_actor, live_plan
from deployments.console import RUN_FAILED, fail
from deployments.prefect_env import use_prefect_environment
from models.materials import MaterialsRefused
from models.plan import Plan
from models.settings import Settings
from tasks import day_run
from tasks.approvals import Filed
from tasks.db import session_scope
from tasks.intake import INTAKE, MailboxConfig, assign, ignore, read_mailbox
from tasks.mail import SmtpConfig

intake = typer.Typer(no_args_is_help=False, invoke_without_command=True, help="the campaign mailbox (报送邮箱)")


@intake.callback()
def read_once(ctx: typer.Context) -> None:
    """Read new messages of the campaign mailbox once: claims filed, the rest waiting as 待分拣."""
    if ctx.invoked_subcommand is not None:
        return
    from imapclient.exceptions import IMAPClientError

    settings = Settings()
    plan = live_plan(settings)
    config = MailboxConfig.from_settings(settings)
    if config is None:
        fail(["GREENCOMM_INTAKE_IMAP_HOST is not set: no mailbox to read (see the README, Mailbox)"])
    try:
        done = read_mailbox(settings, plan, config, now=datetime.now(UTC))
    except (IMAPClientError, ssl.SSLError, OSError) as error:  # the password is never part of these
        fail([f"mailbox {config.where}: {type(error).__name__}: {error}"], RUN_FAILED)
    _after_filing(settings, plan, done.started)
    typer.echo(f"{config.where}: {done.line()}")


@intake.command("assign")
def assign_command(
    uid: Annotated[int, typer.Argument(help="the message's number (编号) in greencomm status")],
    item: Annotated[str, typer.Argument(help="the item id, e.g. pilot.plan")],
    unit: Annotated[str, typer.Option("--for", help="the unit: community:<id> or office:<id>")],
) -> None:
    """File a waiting message's attachments as the unit's claim on the item (audited)."""
    settings = Settings()
    plan = live_plan(settings)
    try:
        with session_scope(settings.database_url) as session:
            filed = assign(session, settings, plan, uid, item, unit, actor=cli_actor(), now=datetime.now(UTC))
    except ValueError as error:  # MaterialsRefused too: nothing was kept
        lines = error.problems if isinstance(error, MaterialsRefused) else [str(error)]
        fail([f"UID {uid}: {line}" if isinstance(error, MaterialsRefused) else line for line in lines])
    _after_filing(settings, plan, [filed] if filed else [])
    typer.echo(f"message {uid}: filed as {unit}'s claim on {item}")


@intake.command("ignore")
def ignore_command(uid: Annotated[int, typer.Argument(help="the message's number (编号) in greencomm status")]) -> None:
    """Leave a waiting message out for good (audited); the mailbox is not changed."""
    settings = Settings()
    plan = live_plan(settings)
    try:
        with session_scope(settings.database_url) as session:
            ignore(session, plan, uid, actor=cli_actor(), now=datetime.now(UTC))
    except ValueError as error:
        fail([str(error)])
    typer.echo(f"message {uid}: ignored")


def _after_filing(settings: Settings, plan: Plan, filed: list[Filed]) -> None:
    """Receipts out now when mail is configured; each new claim's approval run started when a Prefect server
    answers (else `greencomm up` starts it on its next start: the claim waits pending meanwhile)."""
    config = SmtpConfig.from_settings(settings)
    if config is not None:
        with session_scope(settings.database_url) as session:
            delivery = asyncio.run(
                day_run.deliver(
                    session,
                    plan,
                    INTAKE,
                    config,
                    now=datetime.now(UTC),
                    concurrency=settings.smtp_concurrency,
                    budget=settings.smtp_budget,
                    give_up_after=settings.smtp_give_up_after,
                )
            )
        if delivery.failed:
            typer.echo(f"{len(delivery.failed)} receipt(s) not sent yet: the next mailbox-intake run retries", err=True)
    if filed:
        use_prefect_environment(settings)  # `up`'s server, with its auth string
    for request in filed:
        try:
            start_approval(request)
        except Exception as error:  # no Prefect server: `up` starts the run when it next starts
            typer.echo(f"claim {request.id}: approval run not started ({type(error).__name__}); up starts it", err=True)
