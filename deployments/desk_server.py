"""Serving the desk: in a thread of `up` (uvicorn without signal handlers of its own), or alone (`greencomm desk`)."""

from __future__ import annotations

import os
import threading
import time
from contextlib import ExitStack

import typer
import uvicorn

from deployments.desk import StartApproval, create_app
from models.settings import Settings
from tasks.mailsink import is_loopback

START_SECONDS = 30


def desk_exposure_problem(settings: Settings) -> str | None:
    """Beyond loopback only behind a TLS proxy: the links carry the tokens, so they must travel encrypted."""
    if is_loopback(settings.desk_host) or (settings.desk_url or "").startswith("https://"):
        return None
    return (
        f"GREENCOMM_DESK_HOST={settings.desk_host} is not loopback: put the desk behind a TLS proxy and set "
        "GREENCOMM_DESK_URL to its https:// address first (see README)"
    )


def desk_server(settings: Settings, start_approval: StartApproval | None) -> uvicorn.Server:
    app = create_app(settings, start_approval=start_approval)
    config = uvicorn.Config(
        app,
        host=settings.desk_host,
        port=settings.desk_port,
        log_level="warning",
        access_log=False,  # request paths carry tokens: keep them out of logs
        proxy_headers=True,
        server_header=False,
    )
    return uvicorn.Server(config)


def start_desk(settings: Settings, stack: ExitStack, start_approval: StartApproval | None) -> None:
    """The desk in a daemon thread of this process; the ExitStack asks it to finish and waits for it."""
    server = desk_server(settings, start_approval)
    thread = threading.Thread(target=server.run, name="greencomm-desk", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the desk could not listen on {settings.desk_host}:{settings.desk_port}")
        time.sleep(0.05)
    stack.callback(_stop, server, thread)
    os.environ["GREENCOMM_DESK_URL"] = settings.desk_base  # the flow runs this process starts put links in mail
    typer.echo(f"办理台 desk: {settings.desk_base}  (links in e-mails point here)")


def _stop(server: uvicorn.Server, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(timeout=10)
