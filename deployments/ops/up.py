"""`greencomm up`: database, plan, local Prefect server and UI, SMTP sink, and the served deployments."""

from __future__ import annotations

import gc
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import typer

from deployments.approvals import start_approval
from deployments.desk import start_desk
from deployments.ops.children import stop_child, watch_stop_signals
from deployments.ops.lifeline import guarded
from deployments.ops.serve_runner import CANCEL_SECONDS, DRAIN_SECONDS
from deployments.prefect_env import auth_header, auth_source, server_environment
from models import tables
from models.plan import Plan, rebase, rehearsal_notes, rehearsal_shift
from models.settings import Settings
from tasks.db import session_scope, upgrade
from tasks.ops import rest_day_of
from tasks.store import sync_plan, today_in

SERVER_START_SECONDS = 120
SERVER_STOP_SECONDS = 15.0
RUNNER_STOP_SECONDS = DRAIN_SECONDS + 2 * CANCEL_SECONDS + 10  # its own bounded waits, then we kill it


def prepare_campaign(settings: Settings, plan: Plan, option: str | None, now: datetime | None = None) -> Plan:
    """Upgrade the database and load the (possibly shifted) plan into it; on a rest day, say when notices go out."""
    upgrade(settings.database_url)
    now = now or datetime.now(UTC)
    with session_scope(settings.database_url) as session:
        stored = session.get(tables.Campaign, plan.campaign.id)
        shift = rehearsal_shift(plan, option, stored.rehearsal_shift_days if stored else 0, today_in(plan, now))
        live = rebase(plan, plan.start + timedelta(days=shift)) if shift else plan
        sync_plan(session, live, actor="up", now=now, shift_days=shift)
        resting = rest_day_of(session, live, today_in(live, now))
    for line in rehearsal_notes(live, shift):
        typer.echo(line)
    if resting:
        typer.echo(resting.text)
    return live


def start_server(settings: Settings, stack: ExitStack, stopping: threading.Event) -> None:
    """A local Prefect server and UI in a session of its own (Ctrl-C reaches `up` only); stopped after the runner.

    It requires the auth string on every call, CSRF tokens for changes and no other web origin (prefect_env), and
    is killed by the kernel if `up` dies (lifeline).
    """
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
    env = os.environ | server_environment(settings)
    server = subprocess.Popen(guarded(command), stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    stack.callback(stop_child, server, "the Prefect server", signal.SIGTERM, SERVER_STOP_SECONDS)
    _wait_healthy(settings.api_url, server, settings.var_dir / "prefect-server.log", stopping)
    typer.echo(f"Prefect UI login: the auth string in {auth_source(settings)} (README: Logging in to the Prefect UI)")


def _wait_healthy(api_url: str, server: subprocess.Popen[bytes] | None, log: Path, stopping: threading.Event) -> None:
    from deployments.console import progress

    deadline = time.monotonic() + SERVER_START_SECONDS
    with progress("starting Prefect server", SERVER_START_SECONDS, every=10) as advance:
        while time.monotonic() < deadline and not stopping.is_set():
            if server is not None and server.poll() is not None:
                raise RuntimeError(f"the Prefect server exited ({server.returncode}); see {log}")
            try:
                if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            advance("waiting")
            stopping.wait(1)
    if not stopping.is_set():
        which = "the Prefect server" if server else "the external Prefect server (--external-server)"
        raise RuntimeError(f"{which} did not answer at {api_url} within {SERVER_START_SECONDS} s")


def check_auth(settings: Settings) -> None:
    """The server takes our auth string (an external one may require another, or none: then it is open)."""
    version = httpx.get(f"{settings.api_url}/admin/version", headers=auth_header(settings), timeout=10)
    if version.status_code == httpx.codes.UNAUTHORIZED:
        source = auth_source(settings)
        raise RuntimeError(f"the Prefect server at {settings.api_url} refuses the auth string in {source}")
    version.raise_for_status()


def start_runner(stack: ExitStack) -> subprocess.Popen[bytes]:
    """The runner (deployments, flow runs) in a session of its own; it loads Prefect while the server starts.

    If `up` dies, the kernel sends the runner SIGHUP, and it kills its process group: itself and its flow runs.
    """
    serve = "from deployments.ops.serve_runner import main; main()"  # -c, not -m: see lifeline.guarded
    command = guarded([sys.executable, "-c", serve], signal.SIGHUP)
    runner = subprocess.Popen(command, stdin=subprocess.PIPE, start_new_session=True)
    assert runner.stdin is not None
    stack.callback(stop_child, runner, "the runner", signal.SIGTERM, RUNNER_STOP_SECONDS)
    stack.callback(runner.stdin.close)  # a runner still waiting for its plan gets none and exits
    return runner


def hand_over(runner: subprocess.Popen[bytes], plan: Plan) -> None:
    """The live plan to the runner, which then registers the deployments and serves them."""
    assert runner.stdin is not None
    with runner.stdin:
        runner.stdin.write(pickle.dumps(plan))


def start_sink(settings: Settings, stack: ExitStack) -> None:
    """Without an SMTP server configured, mail goes to a local sink saving .eml files under var/mail/."""
    from tasks.mail import MailSink

    sink = stack.enter_context(MailSink(settings.var_dir / "mail", port=settings.sink_port))
    os.environ.update(
        {
            "GREENCOMM_SMTP_HOST": "127.0.0.1",
            "GREENCOMM_SMTP_PORT": str(sink.port),
            "GREENCOMM_SMTP_SECURITY": "none",
        }
    )
    typer.echo(f"SMTP sink: 127.0.0.1:{sink.port}, e-mails saved in {settings.var_dir / 'mail'}/")


def run_up(settings: Settings, plan: Plan, option: str | None, external_server: bool = False) -> None:
    """Start everything, serve until Ctrl-C or SIGTERM, then stop the runner, the server and the sink, in order."""
    stopping = watch_stop_signals()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:  # closes in reverse: runner, server, sink
        if not settings.smtp_host:
            start_sink(settings, stack)  # first: the runner inherits its address
        start_desk(settings, stack, start_approval)  # before the runner too: its flow runs link to the desk
        server = stack.enter_context(ExitStack())
        runner = start_runner(stack)
        live = prepare_campaign(settings, plan, option)
        if external_server:
            _wait_healthy(settings.api_url, None, Path("-"), stopping)
        elif not stopping.is_set():
            start_server(settings, server, stopping)
        if not stopping.is_set():
            check_auth(settings)
        if not stopping.is_set():
            hand_over(runner, live)
        while not stopping.wait(1):
            if runner.poll() is not None:
                raise RuntimeError(f"the runner exited ({runner.returncode}); see the lines above")
        typer.echo("up: stopping the runner (a run in flight may finish), then the Prefect server and the SMTP sink…")
    typer.echo("up: stopped")
    gc.freeze()  # exiting: the interpreter's last collections would otherwise walk every object, seconds on a busy host
