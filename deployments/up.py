"""`greencomm up`: database, plan, local Prefect server and UI, SMTP sink, and the served deployments."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import typer

from deployments.approvals import reopen_waiting, start_approval
from deployments.desk_server import start_desk
from models import tables
from models.plan import Plan
from models.rehearsal import current_phase, rebase, rehearsal_notes, rehearsal_shift
from models.settings import Settings
from tasks.db import session_scope, upgrade
from tasks.store import sync_plan, today_in

SERVER_START_SECONDS = 120


def prepare_campaign(settings: Settings, plan: Plan, option: str | None) -> Plan:
    """Upgrade the database and load the (possibly shifted) plan into it."""
    upgrade(settings.database_url)
    now = datetime.now(UTC)
    with session_scope(settings.database_url) as session:
        stored = session.get(tables.Campaign, plan.campaign.id)
        shift = rehearsal_shift(plan, option, stored.rehearsal_shift_days if stored else 0, today_in(plan, now))
        live = rebase(plan, plan.start + timedelta(days=shift)) if shift else plan
        sync_plan(session, live, actor="up", now=now, shift_days=shift)
    for line in rehearsal_notes(live, shift):
        typer.echo(line)
    return live


def start_server(settings: Settings, stack: ExitStack) -> None:
    """A local Prefect server and UI in a child process; stopped when `up` stops."""
    log = (settings.var_dir / "prefect-server.log").open("ab")
    stack.callback(log.close)
    command = [
        sys.executable,
        "-m",
        "prefect",
        "server",
        "start",
        "--host",
        settings.prefect_host,
        "--port",
        str(settings.prefect_port),
    ]
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    stack.callback(_stop, server)
    _wait_healthy(settings.api_url, server, settings.var_dir / "prefect-server.log")


def _wait_healthy(api_url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    from deployments.console import progress

    deadline = time.monotonic() + SERVER_START_SECONDS
    with progress("starting Prefect server", SERVER_START_SECONDS, every=10) as advance:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"the Prefect server exited ({server.returncode}); see {log}")
            try:
                if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            advance("waiting")
            time.sleep(1)
    raise RuntimeError(f"the Prefect server did not answer at {api_url} within {SERVER_START_SECONDS} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def start_sink(settings: Settings, stack: ExitStack) -> None:
    """Without an SMTP server configured, mail goes to a local sink saving .eml files under var/mail/."""
    from tasks.mailsink import MailSink

    sink = stack.enter_context(MailSink(settings.var_dir / "mail", port=settings.sink_port))
    os.environ.update(
        {
            "GREENCOMM_SMTP_HOST": "127.0.0.1",
            "GREENCOMM_SMTP_PORT": str(sink.port),
            "GREENCOMM_SMTP_SECURITY": "none",
        }
    )
    typer.echo(f"SMTP sink: 127.0.0.1:{sink.port}, e-mails saved in {settings.var_dir / 'mail'}/")


def serve_all(settings: Settings, plan: Plan) -> None:
    """Register the deployments, run the current phase once so the UI has a run, then serve until Ctrl-C."""
    from prefect import serve
    from prefect.deployments import run_deployment

    from deployments.definitions import deployments

    served = deployments(plan)
    for deployment in served:
        deployment.apply()
    reopen_waiting(settings)  # approval runs do not outlive the process that paused them
    phase = current_phase(plan, today_in(plan, datetime.now(UTC)))
    run_deployment(f"{phase}-phase/{plan.campaign.id}", timeout=0)
    ui = settings.api_url.removesuffix("/api")
    typer.echo(f"Prefect UI: {ui}  ·  API: {settings.api_url}  ·  deployments: {ui}/deployments")
    typer.echo("Ctrl-C stops the server, the sink and the runner; schedules stay for the next start.")
    serve(*served, pause_on_shutdown=False, print_starting_message=False)


def run_up(settings: Settings, plan: Plan, option: str | None) -> None:
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    live = prepare_campaign(settings, plan, option)
    with ExitStack() as stack:
        if not settings.smtp_host:
            start_sink(settings, stack)
        start_server(settings, stack)
        start_desk(settings, stack, start_approval)
        serve_all(settings, live)  # returns on Ctrl-C: Prefect's serve handles the interrupt
        typer.echo("stopping the Prefect server and the SMTP sink…")
