"""Serving the desk: in a thread of `up` (uvicorn without signal handlers of its own), or alone (`greencomm desk`)."""

from __future__ import annotations

import os
import threading
import time
from contextlib import ExitStack

import typer
import uvicorn

from deployments.desk.app import StartApproval, create_app
from deployments.prefect_env import exposure_problem
from models.settings import Settings

START_SECONDS = 30


def desk_exposure_problem(settings: Settings) -> str | None:
    """Beyond loopback only behind a TLS proxy: the links carry the tokens, so they must travel encrypted."""
    return exposure_problem(settings.model_copy(update={"prefect_host": "127.0.0.1"}))  # the desk's part only


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
